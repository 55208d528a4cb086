"""Pure-Python core: models, errors, paths, settings, secrets, credentials, dispatch, LAN HTTP servers.

Nothing here imports Qt or mitmproxy (import-linter enforces it), so every module is usable from
the CLI, the proxy thread and the GUI alike, and testable with neither installed.
"""
