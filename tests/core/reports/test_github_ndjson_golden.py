"""The GitHub-shaped NDJSON stays byte for byte what it was, for a generated month and the hand-written day.

The golden files (gzipped, in `golden/`) were written by the report as it was before its splits were
summed in SQL; a faster writer must produce the same bytes. After an intended change of the output,
rewrite them with `UPDATE_GOLDEN=1 python -m pytest tests/core/reports/test_github_ndjson_golden.py`
and say why in the commit.
"""

import gzip
import os
from datetime import date
from pathlib import Path

import pytest

from desktop_app.core.reports.github_ndjson import render
from desktop_app.core.reports.progress import Progress
from desktop_app.core.store.dashboard import DayRange
from tests.benchmarks.generate_data import fill_data_dir
from tests.benchmarks.synthetic import SyntheticSpec
from tests.core.reports.conftest import load
from tests.core.reports.test_ide_totals import DAY_RANGE, write_tiny_store

GOLDEN = Path(__file__).parent / "golden"
MONTH = DayRange(date(2026, 10, 1), date(2026, 10, 31))
MONTH_SPEC = SyntheticSpec(usage_events=20_000, developers=6, first_day=MONTH.first, days=MONTH.length, seed=11)


@pytest.fixture(scope="module")
def month_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("golden-month")
    fill_data_dir(folder, MONTH_SPEC)
    return folder


def assert_golden(name: str, content: bytes) -> None:
    path = GOLDEN / f"{name}.ndjson.gz"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(gzip.compress(content, mtime=0))
    expected = gzip.decompress(path.read_bytes())
    if content != expected:
        got, want = content.splitlines(), expected.splitlines()
        first = next((n for n, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), min(len(got), len(want)))
        pytest.fail(f"{name}: line {first + 1} differs ({len(got)} lines, golden {len(want)}):\n"
                    f"got    {got[first][:400] if first < len(got) else b'(none)'!r}\n"
                    f"golden {want[first][:400] if first < len(want) else b'(none)'!r}")


@pytest.mark.parametrize("pseudonymize", [False, True], ids=["names", "aliases"])
def test_a_generated_month(month_dir, pseudonymize):
    data = load(month_dir, days=MONTH, pseudonymize=pseudonymize)
    assert len(data.rows) > 100
    assert_golden(f"month-{'aliases' if pseudonymize else 'names'}", render(data, Progress()))


def test_a_generated_month_of_two_developers_and_a_fortnight(month_dir):
    data = load(month_dir, days=DayRange(date(2026, 10, 10), date(2026, 10, 23)), developers=("dev01", "dev04"))
    assert_golden("fortnight-two", render(data, Progress()))


@pytest.mark.parametrize("summarised", [True, False], ids=["rollup", "raw events"])
def test_the_hand_written_day(tmp_path, summarised):
    write_tiny_store(tmp_path, summarised=summarised)
    assert_golden("tiny-day", render(load(tmp_path, days=DAY_RANGE), Progress()))
