"""harmonizer/data"""
