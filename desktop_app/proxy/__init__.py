"""The mitmproxy world: Copilot host policy, authentication, recording and the proxy runner.

Imports mitmproxy and `desktop_app.core`, never Qt.
"""
