"""userstudy"""
