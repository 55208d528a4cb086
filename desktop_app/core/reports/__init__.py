"""Reports: one period's figures read once (`data`), written in every format a manager or a tool wants.

`data.load_report` reads the store and builds a `ReportData`; each format module turns it into
bytes (`csv_report`, `xlsx_report`, `html_report`, `pdf_report`, `seed_json`, `github_ndjson`);
`export.write_report` picks the format, reports progress, honours a cancel and writes the file
atomically. Pure Python (the Excel and PDF writers are pure-Python libraries): no Qt, so the
command line writes the same reports on a headless server.
"""
