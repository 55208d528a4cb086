"""A scripted day through `serve`, then `report` in every format: the same numbers everywhere.

The traffic is the scripted day of `test_scripted_day` (alice and bob, completions, chat, agent
follow-ups, telemetry, CLI), recorded with prompts; each format is written by the real command and
read back with the tool a reader would use (csv, openpyxl, json, pypdf, an HTML parser) and compared.
"""

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime
from html.parser import HTMLParser

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from desktop_app.core.figures import UNKNOWN, figure
from desktop_app.core.reports.formats import REPORT_FORMATS
from desktop_app.core.reports.pdf_report import daily_blocks
from desktop_app.core.store.queries import SHOWN_SOURCE_TEXT
from tests.e2e.served import start_serve
from tests.e2e.test_scripted_day import alice_day, bob_day

FIGURES = ("requests", "user_interactions", "completions_shown", "completions_accepted", "agent_requests",
           "prompt_tokens")


@pytest.fixture(scope="module")
def scripted_day(tmp_path_factory, pki, upstream):
    folder = tmp_path_factory.mktemp("scripted")
    served = start_serve(folder, pki, upstream, developers=("alice", "bob"), extra_args=("--record", "content"))
    try:
        for name, script in (("alice", alice_day), ("bob", bob_day)):
            with httpx.Client(proxy=served.proxy_url(name), verify=served.trust(), timeout=10) as client:
                script(client)
    finally:
        assert served.stop() == 0, served.log.drain()
    return served


@pytest.fixture(scope="module")
def reports(scripted_day, tmp_path_factory):
    """Every format (and the three that can, with prompts) written by the real command: {name: path}."""
    folder = tmp_path_factory.mktemp("reports")
    today = datetime.now().date().isoformat()
    written = {}
    for fmt, extra in [(fmt, ()) for fmt in REPORT_FORMATS] + [
            (fmt, ("--include-prompts",)) for fmt in ("xlsx", "html", "pdf")]:
        name = f"{fmt}{'-prompts' if extra else ''}"
        path = folder / f"day-{name}.{fmt}"
        result = subprocess.run([sys.executable, "-m", "desktop_app", "report", "--from", today, "--to", today,
                                 "--format", fmt, "-o", str(path), *extra], env=scripted_day.env,
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        written[name] = path
    return written


def number(text: str) -> int | None:
    """A count as a file writes it; an empty cell (CSV) or a dash (HTML, PDF) is unknown."""
    return None if text in ("", UNKNOWN) else int(text.replace(",", ""))


def csv_figures(path):
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    return {row["developer"]: {key: number(row[key]) for key in FIGURES} for row in rows}


XLSX_TITLES = {key: figure(key).title for key in FIGURES}


def xlsx_figures(path):
    sheet = load_workbook(path)["Daily"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    at = {key: header.index(title) for key, title in XLSX_TITLES.items()}
    return {row[header.index("Developer")]: {key: row[at[key]] for key in FIGURES} for row in rows[1:]}


def test_csv_and_xlsx_hold_the_same_figures_as_the_store(reports):
    figures = csv_figures(reports["csv"])
    assert figures["alice"] == {"requests": figures["alice"]["requests"], "user_interactions": 2,
                                "completions_shown": 3, "completions_accepted": 2, "agent_requests": 6,
                                "prompt_tokens": 88}
    assert figures["bob"]["user_interactions"] == 3
    assert figures["bob"]["completions_accepted"] is None  # bob's client sent no telemetry: unknown, not 0
    assert xlsx_figures(reports["xlsx"]) == figures


def test_the_seed_json_counts_the_same_interactions(reports):
    figures = csv_figures(reports["csv"])
    (day,) = json.loads(reports["json"].read_text())
    assert {name: usage["chat_turns"] for name, usage in day["usage"].items()} == {
        name: f["user_interactions"] for name, f in figures.items()}
    assert day["usage"]["alice"]["completions_count"] == 3  # the seed counts completions that returned text


def test_the_github_ndjson_counts_the_same(reports):
    figures = csv_figures(reports["csv"])
    lines = [json.loads(line) for line in reports["github-ndjson"].read_text().splitlines()]
    by_login = {line["user_login"]: line for line in lines}
    assert set(by_login) == set(figures)
    for name, line in by_login.items():
        assert line["user_initiated_interaction_count"] == figures[name]["user_interactions"]
    assert by_login["alice"]["chat_panel_ask_mode"] == 1
    assert by_login["alice"]["chat_panel_agent_mode"] == 1


class _Tables(HTMLParser):
    """Every table of an HTML page as rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(self._cell.strip())
            self._cell = None


def html_figures(path):
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    (daily,) = [table for table in parser.tables if table and table[0][:3] == ["Day", "Developer", "Requests"]]
    header = daily[0]
    at = {key: header.index(title) for key, title in XLSX_TITLES.items()}
    return {row[1]: {key: number(row[at[key]]) for key in FIGURES} for row in daily[1:]}


def test_html_shows_the_same_figures(reports):
    assert html_figures(reports["html"]) == csv_figures(reports["csv"])
    assert html_figures(reports["html-prompts"]) == csv_figures(reports["csv"])


def pdf_rows(text: str, start: str, today: str) -> list[str]:
    """Each table row that begins with `start`, its wrapped cells joined back onto one line."""
    lines = text.splitlines()
    rows = []
    for i, line in enumerate(lines):
        if line.startswith(start):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith((today, "Per developer"))),
                       len(lines))
            rows.append(" ".join(lines[i:end]))
    return rows


def test_pdf_shows_the_same_figures(reports):
    text = "\n".join(page.extract_text() for page in PdfReader(reports["pdf"]).pages)
    today = datetime.now().date().isoformat()
    assert f"Period: {today}" in text
    assert "usage, prompts and answers" in text  # recorded with content, whatever the settings say now
    for name, figures in csv_figures(reports["csv"]).items():
        rows = pdf_rows(text, f"{today} {name} ", today)
        assert len(rows) == len(daily_blocks())  # the wide table in column blocks, each row led by day and name
        for key in ("requests", "completions_shown", "completions_accepted"):
            block, position = next((b, [c.key for c in columns].index(key))
                                   for b, columns in enumerate(daily_blocks()) if key in [c.key for c in columns])
            cells = rows[block]
            for words in SHOWN_SOURCE_TEXT.values():  # a text cell of several words (wrapped in the PDF)
                cells = cells.replace(words, "source")
            assert number(cells.split()[position]) == figures[key], key


def test_prompts_appear_only_when_asked_for(reports):
    for fmt in ("xlsx", "html", "pdf"):
        assert reports[f"{fmt}-prompts"].stat().st_size > reports[fmt].stat().st_size
    assert "Prompts" in load_workbook(reports["xlsx-prompts"]).sheetnames
    assert "Prompts" not in load_workbook(reports["xlsx"]).sheetnames


def test_every_report_is_written_privately(reports):
    for name, path in sorted(reports.items()):
        print(f"report {name:<14} {path.stat().st_size:>9,} bytes")  # shown with -s
    assert all(path.stat().st_size > 0 for path in reports.values())
    assert os.name != "posix" or all(path.stat().st_mode & 0o077 == 0 for path in reports.values())
