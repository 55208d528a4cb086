"""Reading one instance of a shared store: its figures are those of a store holding only its events.

The rollup has no instance dimension, so a filtered read computes from the raw events through the
same definitions (`rollup.compute_day_totals`); these tests compare it with the rollup of a store that
only ever had that instance's events, on both engines.
"""

import os
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.core.errors import AppError
from desktop_app.core.reports.data import ReportOptions, load_report
from desktop_app.core.reports.ide_totals import read_ide_days
from desktop_app.core.seed_format import seed_daily_metrics
from desktop_app.core.store.dashboard import DashboardQuery, DayRange, load_dashboard
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import daily_usage, instance_requests_on
from tests.benchmarks.synthetic import SyntheticSpec, generate_batches
from tests.core.store.test_dashboard import D1, D3, alices_batches, bobs_batches
from tests.e2e.served import cli

PERIOD = DayRange(D1 - timedelta(days=1), D3)


def _split():
    """(berlin's batches, lisbon's batches): alice and bob each recorded by both on some days."""
    alice, bob = alices_batches(), bobs_batches()
    return [alice[0], bob[0], bob[1]], [alice[1], bob[2]]


@pytest.fixture
def alone_target(target, request, tmp_path):
    """A second, empty store on the same engine as `target`."""
    if isinstance(target, type(tmp_path)):
        yield tmp_path / "alone" / "usage.sqlite3"
        return
    from desktop_app.core.store.postgres import PostgresDatabase

    server = request.getfixturevalue("postgres_server")
    url = server.new_database()
    yield PostgresDatabase(url)
    server.drop_database(url)


@pytest.fixture
def stores(target, alone_target):
    """(shared store of berlin and lisbon, a store of berlin's events alone, rolled up), on one engine."""
    alone = alone_target
    berlin, lisbon = _split()
    with UsageStore.open(target, "UTC", instance="berlin") as store:
        store.write_many(berlin)
    with UsageStore.open(target, "UTC", instance="lisbon") as store:
        store.write_many(lisbon)
        store.refresh_rollups()
    with UsageStore.open(alone, "UTC", instance="berlin") as store:
        store.write_many(berlin)
        store.refresh_rollups()
    return target, alone


def _read(database, fn):
    with closing(UsageStore.reader(database)) as conn:
        return fn(conn)


def test_one_instance_reads_as_a_store_of_its_events_alone(stores):
    shared, alone = stores
    filtered = _read(shared, lambda c: daily_usage(c, PERIOD.first, PERIOD.last, instances=("berlin",)))
    assert filtered == _read(alone, lambda c: daily_usage(c, PERIOD.first, PERIOD.last))
    assert filtered  # the comparison is not between two empty lists
    everyone = _read(shared, lambda c: daily_usage(c, PERIOD.first, PERIOD.last))
    assert sum(r.requests for r in everyone) > sum(r.requests for r in filtered)
    both = _read(shared, lambda c: daily_usage(c, PERIOD.first, PERIOD.last, instances=("berlin", "lisbon")))
    assert both == everyone  # every instance, computed from the events, equals the rollup
    assert _read(shared, lambda c: daily_usage(c, PERIOD.first, PERIOD.last, ("alice",), ("berlin",))) == [
        r for r in filtered if r.developer == "alice"]


def test_the_dashboard_and_the_report_parts_follow_the_instance(stores):
    shared, alone = stores
    for days in (PERIOD, DayRange(D1, D1)):  # the period, and one day's hourly chart
        query = DashboardQuery(days, instances=("berlin",))
        filtered = _read(shared, lambda c, q=query: load_dashboard(c, q))
        expected = _read(alone, lambda c, d=days: load_dashboard(c, DashboardQuery(d)))
        assert (filtered.summary, filtered.daily, filtered.errors, filtered.models) == (
            expected.summary, expected.daily, expected.errors, expected.models)
        assert filtered.instances_known == ("berlin", "lisbon")
    assert _read(shared, lambda c: read_ide_days(c, PERIOD, instances=("berlin",))) == _read(
        alone, lambda c: read_ide_days(c, PERIOD))
    assert _read(shared, lambda c: seed_daily_metrics(c, PERIOD.first, PERIOD.last, instances=("lisbon",))) != _read(
        alone, lambda c: seed_daily_metrics(c, PERIOD.first, PERIOD.last))
    assert _read(shared, lambda c: seed_daily_metrics(c, PERIOD.first, PERIOD.last, instances=("berlin",))) == _read(
        alone, lambda c: seed_daily_metrics(c, PERIOD.first, PERIOD.last))


def test_requests_today_per_instance(stores):
    shared, _ = stores
    berlin, lisbon = _split()
    day = D1.isoformat()
    expected = {name: sum(1 for b in batches for e in b.usage if e.started_at.date() == D1)
                for name, batches in (("berlin", berlin), ("lisbon", lisbon))}
    assert _read(shared, lambda c: instance_requests_on(c, day)) == {k: v for k, v in expected.items() if v}


def test_a_report_on_an_unknown_instance_names_the_known_ones(stores, tmp_path):
    shared, _ = stores
    options = ReportOptions(PERIOD, instances=("porto",))
    with pytest.raises(AppError, match=r"'porto'.*'berlin', 'lisbon'"):
        load_report(shared, tmp_path / "content", options, recording_level="usage")
    report = load_report(shared, tmp_path / "content", ReportOptions(PERIOD, instances=("lisbon",)),
                         recording_level="usage")
    assert {r.developer for r in report.rows} == {"alice", "bob"}


def test_status_says_each_instances_requests_today(tmp_path):
    today = datetime.now(UTC).date()
    for name, events in (("berlin", 30), ("lisbon", 12)):
        with UsageStore.open(tmp_path / "usage.sqlite3", "UTC", instance=name) as store:
            store.write_many(list(generate_batches(SyntheticSpec(usage_events=events, developers=2, first_day=today,
                                                                 days=1, seed=events))))
    out = cli("status", env={**os.environ, "COPILOT_INSIGHT_HOME": str(tmp_path)}).stdout
    assert "Instances (proxies recording here):" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert lines["berlin"].endswith(", 30 request(s) today")
    assert lines["lisbon"].endswith(", 12 request(s) today")
