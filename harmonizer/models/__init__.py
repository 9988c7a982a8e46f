"""harmonizer/models"""
