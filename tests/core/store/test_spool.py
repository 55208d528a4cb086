"""The spool: a shared PostgreSQL that goes away loses nothing and counts nothing twice."""

import time
from contextlib import closing
from datetime import UTC, date, datetime, timedelta

import pytest

from desktop_app.core import models as m
from desktop_app.core.models import RecordBatch, UsageEvent
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.dayzone import resolve_zone
from desktop_app.core.store.postgres import PostgresDatabase
from desktop_app.core.store.queries import counters, daily_usage, instances_seen
from desktop_app.core.store.spool import Spool, SpooledStore, SpoolFullError, spool_backlog
from tests.helpers.postgres import PostgresServer
from tests.helpers.stores import rows

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def usage(n, developer="alice"):
    return UsageEvent(developer=developer, started_at=T0 + timedelta(seconds=n), method="POST",
                      host="api.githubcopilot.com", path="/chat/completions", host_family="api",
                      kind=m.KIND_MODEL_CALL, status=200, duration_ms=100.0, ttfb_ms=10.0, request_bytes=10,
                      response_bytes=20, http_version="HTTP/2.0", streamed=True, prompt_tokens=n,
                      source_id=f"event-{n}")


@pytest.fixture(scope="module")
def server():
    """A server of this module's own: the tests stop and restart it."""
    running = PostgresServer().start()
    yield running
    running.cleanup()


@pytest.fixture
def database(server):
    url = server.new_database()
    yield PostgresDatabase(url)
    server.drop_database(url)


def model_calls(database):
    with closing(UsageStore.reader(database)) as conn:
        return sum(d.model_calls for d in daily_usage(conn, date(2026, 3, 1), date(2026, 3, 31)))


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def waiting(spool):
    """Events waiting in the spool file (read as the tray and `status` read it)."""
    backlog = spool_backlog(spool)
    return 0 if backlog is None else backlog.events


def test_writes_go_to_the_database_while_it_answers(database, tmp_path):
    spool = tmp_path / "spool.sqlite3"
    with SpooledStore.open(database, spool, "UTC", "office-a") as store:
        store.write_many([RecordBatch(usage=(usage(1), usage(2)))])
        assert waiting(spool) == 0
        assert model_calls(database) == 2  # in the database already, not at close
    assert model_calls(database) == 2
    with closing(UsageStore.reader(database)) as conn:
        assert [name for name, _ in instances_seen(conn)] == ["office-a"]


def test_a_database_that_goes_away_and_comes_back_gets_everything_once(database, server, tmp_path):
    spool = tmp_path / "spool.sqlite3"
    with SpooledStore.open(database, spool, "UTC", "office-a", retry_seconds=0.2) as store:
        store.write_many([RecordBatch(usage=(usage(1),))])
        server.stop()
        store.write_many([RecordBatch(usage=(usage(2), usage(3)))])
        store.write_many((), [("unparsed", 2)])
        store.write_many([RecordBatch(usage=(usage(1),))])  # a retry of what was stored: no double count
        assert waiting(spool) == 3
        assert spool_backlog(spool).batches == 3
        server.resume()
        wait_for(lambda: waiting(spool) == 0)  # the drain thread replays it without a new write
    assert model_calls(database) == 3
    assert rows(database, "SELECT COUNT(*) FROM usage_events") == [(3,)]
    with closing(UsageStore.reader(database)) as conn:
        assert counters(conn) == {"unparsed": 2}


def test_the_spool_drains_after_a_restart_in_between(database, server, tmp_path):
    spool = tmp_path / "spool.sqlite3"
    server.stop()
    try:
        with SpooledStore.open(database, spool, "UTC", "office-a") as store:  # starts while the database is down
            store.write_many([RecordBatch(usage=(usage(n),)) for n in range(10)])
    finally:
        server.resume()
    assert spool_backlog(spool).events == 10
    with SpooledStore.open(database, spool, "UTC", "office-a"):
        assert waiting(spool) == 0
    assert model_calls(database) == 10


def test_a_full_spool_refuses_counts_and_says_so(database, server, tmp_path):
    spool_path = tmp_path / "spool.sqlite3"
    server.stop()
    try:
        store = SpooledStore(database, Spool(spool_path, capacity=3), resolve_zone("UTC"), "office-a")
        store.write_many([RecordBatch(usage=(usage(1), usage(2)))])
        with pytest.raises(SpoolFullError, match="full"):
            store.write_many([RecordBatch(usage=(usage(3), usage(4)))])
        store.close()
    finally:
        server.resume()
    backlog = spool_backlog(spool_path)
    assert (backlog.events, backlog.refused_events) == (2, 2)

