"""Connection diagnostics: stored aggregated and bounded, migrated into old databases, described in words."""

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.core.models import ConnectionEvent, RecordBatch
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import ConnectionSummary, connection_summaries
from desktop_app.core.store.schema import MAX_CONNECTION_ROWS, MIGRATIONS
from desktop_app.core.team import diagnostics as d

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def event(kind="untrusted_ca", username="alice", at=T0, source="192.0.2.7", host="api.githubcopilot.com",
          detail="tlsv1 alert unknown ca"):
    return ConnectionEvent(kind, username, source, host, at, detail)


def summary(kind="untrusted_ca", username="alice", at=T0, count=1, source="192.0.2.7", host="api.githubcopilot.com",
            detail="tlsv1 alert unknown ca"):
    return ConnectionSummary(kind, username, source, host, count, at, at, detail)


@pytest.fixture
def store(tmp_path):
    with UsageStore.open(tmp_path / "usage.sqlite3", "UTC") as opened:
        yield opened


def read(store, since=None):
    with closing(store.read_connection()) as conn:
        return connection_summaries(conn, since)


def test_repeated_events_are_counted_in_one_row_with_first_and_last_time(store):
    store.write_many([RecordBatch(connections=(event(at=T0 + timedelta(minutes=n)),)) for n in (5, 0, 9)])
    store.write(RecordBatch(connections=(event(kind="wrong_password", detail=""),)))
    rows = read(store)
    assert [(r.kind, r.count) for r in rows] == [("untrusted_ca", 3), ("wrong_password", 1)]
    assert rows[0].first_at == T0 and rows[0].last_at == T0 + timedelta(minutes=9)


def test_since_filters_and_rows_come_newest_first(store):
    store.write(RecordBatch(connections=(event(username="bob", at=T0 - timedelta(days=40)), event(at=T0))))
    assert [r.username for r in read(store)] == ["alice", "bob"]
    assert [r.username for r in read(store, T0 - timedelta(days=30))] == ["alice"]


def test_strangers_cannot_grow_the_table_without_bound(store):
    names = [event(kind="unknown_user", username=f"guess{n}", at=T0 + timedelta(seconds=n))
             for n in range(MAX_CONNECTION_ROWS + 50)]
    store.write_many([RecordBatch(connections=tuple(names[i:i + 500])) for i in range(0, len(names), 500)])
    rows = read(store)
    assert len(rows) == MAX_CONNECTION_ROWS
    assert rows[0].username == f"guess{MAX_CONNECTION_ROWS + 49}"  # the newest are kept


def test_purge_forgets_old_diagnostics_with_old_events(store):
    store.write(RecordBatch(connections=(event(username="old", at=T0 - timedelta(days=500)), event(at=T0))))
    store.purge(T0 - timedelta(days=400))
    assert [r.username for r in read(store)] == ["alice"]


def test_a_database_of_the_first_schema_gains_the_table_and_keeps_its_data(tmp_path):
    path = tmp_path / "usage.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
    MIGRATIONS[0](conn)
    conn.execute("INSERT INTO schema_version VALUES (1, 0)")
    conn.execute("INSERT INTO counters VALUES ('dropped', 3)")
    conn.commit()
    conn.close()
    with UsageStore.open(path, "UTC") as store:
        store.write(RecordBatch(connections=(event(),)))
        assert len(read(store)) == 1
    with closing(sqlite3.connect(path)) as check:
        assert check.execute("SELECT value FROM counters").fetchall() == [(3,)]


def test_each_kind_reads_as_a_sentence_with_source_and_time():
    texts = {kind: d.describe(summary(kind=kind, count=3)) for kind in
             ("untrusted_ca", "tls_failed", "wrong_password", "disabled", "unknown_user", "check_passed")}
    assert "does not trust the proxy's CA" in texts["untrusted_ca"] and "3 TLS handshakes" in texts["untrusted_ca"]
    assert "api.githubcopilot.com" in texts["tls_failed"]
    assert texts["wrong_password"].startswith("3 wrong passwords")
    assert "'alice'" in texts["unknown_user"]
    assert all("192.0.2.7" in text for text in texts.values())
    assert d.describe(summary(kind="wrong_password", count=1)).startswith("1 wrong password (")


def test_a_problem_counts_until_something_good_happens_after_it():
    problem = summary(at=T0)
    assert d.current_problem([problem], None) == problem
    assert d.current_problem([problem], last_request=T0 + timedelta(minutes=1)) is None
    passed = summary(kind="check_passed", at=T0 + timedelta(minutes=2), host="insight.check")
    assert d.current_problem([problem, passed], None) is None
    later = summary(kind="wrong_password", at=T0 + timedelta(minutes=3))
    assert d.current_problem([problem, passed, later], None) == later


def test_status_line_names_the_problem_or_the_passed_check():
    assert d.status_line([summary()], None).startswith("Does not trust the CA (")
    passed = summary(kind="check_passed", at=T0 + timedelta(minutes=2))
    assert d.status_line([summary(), passed], None).startswith("Check passed (")
    assert d.status_line([], None) == ""


def test_rows_are_split_into_developers_and_unknown_names():
    rows = [summary(username="Alice"), summary(kind="unknown_user", username="mallory"),
            summary(kind="unknown_user", username="alice"), summary(username="bob")]
    assert [r.username for r in d.for_developer("alice", rows)] == ["Alice"]
    assert [r.username for r in d.unknown_usernames(rows, ["alice", "bob"])] == ["mallory"]
