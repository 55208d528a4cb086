"""The installation's CA as developers see it: read, described and exported, with `cryptography` alone.

Creating the CA needs mitmproxy and lives with the proxy (`desktop_app.proxy.certs`); everything that
only reads it (the `ca` command's export, the setup page, the GUI's guide) needs no mitmproxy.
"""
