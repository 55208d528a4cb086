"""Pure protocol code: what a captured Copilot exchange says, read without mitmproxy or Qt.

Classification, decoding, the response formats, telemetry, the hosts, the recording pipeline
(run on the writer thread), the importer of the seed's logs, and Copilot's own OpenTelemetry
(`otlp*`: OTLP bodies, spans and metrics as records). import-linter keeps mitmproxy and
Qt out, so `import-logs` and the setup page load neither.
"""
