"""The command-line commands; `app.py` imports each one only when it runs."""
