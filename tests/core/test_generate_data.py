"""The benchmark data generator, at a tiny size: CLI refusal and --force, team settings, the cache."""

import sqlite3
from contextlib import closing
from datetime import date

from desktop_app.core.paths import resolve_paths
from desktop_app.core.team.settings import load_settings
from tests.benchmarks.generate_data import (
    CACHE_ENV,
    COMPLETE_MARKER,
    cache_path,
    cached_data_dir,
    main,
    year_spec,
)
from tests.benchmarks.synthetic import SyntheticSpec

LAST_DAY = date(2026, 3, 31)


def _usage_summary(database):
    with closing(sqlite3.connect(database)) as conn:
        return conn.execute("SELECT COUNT(*), COUNT(DISTINCT day), COUNT(DISTINCT developer), MIN(day), MAX(day) "
                            "FROM usage_events").fetchone()


def test_cli_fills_refuses_and_forces(tmp_path, capsys):
    data_dir = tmp_path / "bench"
    argv = ["--data-dir", str(data_dir), "--events", "3000", "--days", "10", "--developers", "3",
            "--last-day", LAST_DAY.isoformat(), "--team"]
    paths = resolve_paths(data_dir)

    assert main(argv) == 0
    assert _usage_summary(paths.database) == (3000, 10, 3, "2026-03-22", "2026-03-31")
    assert "3,000 usage events" in capsys.readouterr().err
    settings = load_settings(paths.settings_file)
    assert [d.name for d in settings.developers] == ["dev00", "dev01", "dev02"]
    assert settings.time_zone == "UTC"
    assert "password" not in paths.settings_file.read_text(encoding="utf-8")

    before = paths.database.read_bytes(), paths.database.stat().st_mtime_ns
    assert main(argv) == 2
    assert "already exists" in capsys.readouterr().err
    assert (paths.database.read_bytes(), paths.database.stat().st_mtime_ns) == before

    assert main([*argv, "--force"]) == 0
    assert _usage_summary(paths.database)[0] == 3000  # replaced, not appended
    assert [d.name for d in load_settings(paths.settings_file).developers] == ["dev00", "dev01", "dev02"]


def test_cached_data_dir_generates_once_and_redoes_incomplete(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    spec = SyntheticSpec(usage_events=500, developers=2, first_day=date(2026, 3, 1), days=3)

    folder = cached_data_dir(spec)
    assert folder == cache_path(spec) and folder.parent == tmp_path / "cache"
    assert (folder / COMPLETE_MARKER).is_file()
    database = resolve_paths(folder).database
    assert _usage_summary(database)[:3] == (500, 3, 2)
    stamp = database.stat().st_mtime_ns
    assert cached_data_dir(spec) == folder and database.stat().st_mtime_ns == stamp  # reused

    (folder / COMPLETE_MARKER).unlink()
    assert cached_data_dir(spec) == folder
    assert _usage_summary(database)[0] == 500  # regenerated from scratch, not appended
    assert cache_path(SyntheticSpec(usage_events=501, developers=2, first_day=date(2026, 3, 1), days=3)) != folder


def test_cli_cache_links_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    link = tmp_path / "bench"
    argv = ["--data-dir", str(link), "--events", "400", "--days", "2", "--developers", "2",
            "--last-day", LAST_DAY.isoformat(), "--cache"]
    assert main(argv) == 0
    assert link.is_symlink() and link.resolve() == cache_path(SyntheticSpec(400, 2, date(2026, 3, 30), 2)).resolve()
    assert main(argv) == 0  # reused, relinked
    assert (link / COMPLETE_MARKER).is_file()
    assert len(load_settings(resolve_paths(link).settings_file).developers) == 2


def test_year_spec_ends_on_the_last_day():
    spec = year_spec(LAST_DAY)
    assert (spec.days, spec.first_day, spec.usage_events, spec.developers) == (365, date(2025, 4, 1), 5_000_000, 25)
