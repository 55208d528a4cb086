"""The developers' setup page: a small HTTP server beside the proxy (no mitmproxy, no Qt).

`server` serves the page and the CA downloads; `service` decides whether it runs, on which port,
and what it says. What the page says is `desktop_app.core.guide.setup_page`.
"""
