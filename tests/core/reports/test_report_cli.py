"""`copilot-insight report` end to end: a real subprocess over a real store, every format, every refusal."""

import os
import shutil
import stat
import subprocess
import sys

import pytest

from desktop_app.core.reports.formats import REPORT_FORMATS
from tests.core.reports.conftest import DEVELOPERS, WEEK


@pytest.fixture
def data_dir(report_data_dir, tmp_path):
    """A private copy of the synthetic store (a command may create files beside it)."""
    copy = tmp_path / "data"
    shutil.copytree(report_data_dir, copy)
    return copy


def run_report(data_dir, *args):
    env = {**os.environ, "COPILOT_INSIGHT_HOME": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "desktop_app", "report", *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def week_args(fmt, output):
    return ("--from", WEEK.first.isoformat(), "--to", WEEK.last.isoformat(), "--format", fmt, "-o", str(output))


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_each_format_is_written_privately_and_summarised(data_dir, tmp_path, fmt):
    output = tmp_path / f"report.{fmt}"
    result = run_report(data_dir, *week_args(fmt, output))
    assert result.returncode == 0, result.stderr
    size = output.stat().st_size
    assert size > 200
    assert result.stdout.strip() == (f"Wrote {output} ({fmt}, {size:,} bytes): 2026-11-02 to 2026-11-08, "
                                     "4 developers, 28 developer-day(s).")
    if os.name == "posix":
        assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_only_the_chosen_developers_are_reported(data_dir, tmp_path):
    output = tmp_path / "two.csv"
    result = run_report(data_dir, *week_args("csv", output), "--developers", "dev01, dev03,dev01")
    assert result.returncode == 0, result.stderr
    lines = output.read_text(encoding="utf-8-sig").splitlines()
    assert {line.split(",")[1] for line in lines[1:]} == {"dev01", "dev03"}
    assert "2 developers, 14 developer-day(s)" in result.stdout


def test_pseudonymized_csv_names_nobody_and_keeps_aliases_stable(data_dir, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run_report(data_dir, *week_args("csv", first), "--pseudonymize").returncode == 0
    assert run_report(data_dir, *week_args("csv", second), "--pseudonymize").returncode == 0
    text = first.read_text(encoding="utf-8-sig")
    assert not [name for name in DEVELOPERS if name in text]
    assert text == second.read_text(encoding="utf-8-sig")
    assert len({line.split(",")[1] for line in text.splitlines()[1:]}) == 4


@pytest.mark.parametrize(("args", "message"), [
    (("--from", "2026-10-01", "--to", "2026-10-07"), ("No Copilot traffic was recorded between 2026-10-01 and "
                                                     "2026-10-07; choose another period.")),
    (("--from", "2026-11-08", "--to", "2026-11-02"), "The range ends (2026-11-02) before it starts (2026-11-08)."),
    (("--from", "2026-13-01", "--to", "2026-11-02"), "--from must be a date such as 2026-11-01 (found '2026-13-01')."),
    (("--from", "2020-01-01", "--to", "2026-11-02"), "choose at most 1098 days"),
    (("--from", "2026-11-02", "--to", "2026-11-08", "--developers", "nobody"),
     "No Copilot traffic was recorded between 2026-11-02 and 2026-11-08 for nobody"),
    (("--from", "2026-11-02", "--to", "2026-11-08", "--developers", " , "), "--developers names no developer"),
    (("--from", "2026-11-02", "--to", "2026-11-08", "--include-prompts"), "No prompts were recorded between"),
    (("--from", "2026-11-02", "--to", "2026-11-08", "--include-prompts", "--pseudonymize"),
     "A pseudonymized report cannot include prompts"),
])
def test_refusals_say_why_and_write_nothing(data_dir, tmp_path, args, message):
    output = tmp_path / "report.xlsx"
    result = run_report(data_dir, *args, "--format", "xlsx", "-o", str(output))
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not output.exists()


def test_prompts_in_a_format_without_room_for_them_are_refused(data_dir, tmp_path):
    result = run_report(data_dir, *week_args("csv", tmp_path / "r.csv"), "--include-prompts")
    assert result.returncode == 1
    assert "The csv format has no place for prompts; choose xlsx, pdf, html to include them." in result.stderr


def test_an_unwritable_place_is_refused_before_any_work(data_dir, tmp_path):
    missing = tmp_path / "no-such-folder" / "r.pdf"
    result = run_report(data_dir, *week_args("pdf", missing))
    assert result.returncode == 1
    assert f"The folder {missing.parent} does not exist" in result.stderr
    folder = tmp_path / "folder.pdf"
    folder.mkdir()
    result = run_report(data_dir, *week_args("pdf", folder))
    assert result.returncode == 1
    assert f"{folder} is a folder; choose a file name for the report." in result.stderr


def test_a_fresh_installation_says_how_to_get_data(tmp_path):
    result = run_report(tmp_path / "fresh", *week_args("json", tmp_path / "r.json"))
    assert result.returncode == 1
    assert "Nothing has been recorded yet, so there is nothing to report." in result.stderr
    assert not (tmp_path / "r.json").exists()


def test_an_earlier_report_survives_a_failed_one(data_dir, tmp_path):
    output = tmp_path / "r.json"
    output.write_text("earlier\n")
    result = run_report(data_dir, "--from", "2026-10-01", "--to", "2026-10-02", "--format", "json", "-o", str(output))
    assert result.returncode == 1
    assert output.read_text() == "earlier\n"


def test_only_the_chosen_instances_are_reported_and_an_unknown_one_is_refused(data_dir, tmp_path):
    from desktop_app.core.store.database import UsageStore
    from tests.benchmarks.synthetic import SyntheticSpec, generate_batches

    lisbon = list(generate_batches(SyntheticSpec(usage_events=200, developers=2, first_day=WEEK.first, days=3,
                                                 seed=5)))
    with UsageStore.open(data_dir / "usage.sqlite3", "UTC", instance="lisbon") as store:
        store.write_many(lisbon)
    output = tmp_path / "lisbon.csv"
    result = run_report(data_dir, *week_args("csv", output), "--instances", "lisbon")
    assert result.returncode == 0, result.stderr
    lines = output.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    requests = sum(int(line.split(",")[header.index("requests")]) for line in lines[1:])
    assert requests == sum(len(b.usage) for b in lisbon) == 200
    assert "2 developers, 6 developer-day(s)" in result.stdout

    refused = run_report(data_dir, *week_args("csv", tmp_path / "none.csv"), "--instances", "lisbon,porto")
    assert refused.returncode != 0
    assert "'porto'" in refused.stderr and "(unnamed), 'lisbon'" in refused.stderr
    assert not (tmp_path / "none.csv").exists()
