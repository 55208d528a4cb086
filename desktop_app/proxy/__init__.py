"""The mitmproxy world: the runner, its lean addon chain, and the hooks the product folds into it.

Authentication, the connection check, the Copilot-only policy, diagnostics, the recorder's hooks, and
creating the CA. Imports mitmproxy and `desktop_app.core`/`capture`, never Qt. What needs no mitmproxy
lives elsewhere: protocol parsing in `capture`, reading the CA in `ca`, the setup page in `setup_page`.
"""
