"""The OpenTelemetry receiver: Copilot's own OTLP/HTTP exports, per developer, without the CA.

`receiver` is the HTTP server in the proxy's process; `intake` authenticates each export with the
developer's proxy credentials, decodes and maps it (with `capture.otlp*`) and hands the records to
the proxy's writer thread; `service` starts and stops it beside the proxy. No mitmproxy, no Qt.
"""
