"""Pure protocol code: what a captured Copilot exchange says, read without mitmproxy or Qt.

Classification, decoding, the response formats, telemetry, the hosts, the recording pipeline
(run on the writer thread) and the importer of the seed's logs. import-linter keeps mitmproxy and
Qt out, so `import-logs` and the setup page load neither.
"""
