"""OS integration behind small functions, one branch per OS: launch at login. Pure Python, no Qt."""
