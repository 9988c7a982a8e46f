"""bench/flow"""
