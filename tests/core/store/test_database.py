"""The usage store: file, schema, migrations, idempotent writes, days in a time zone, purge, rollups."""

import sqlite3
import stat
import threading
from contextlib import closing
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest

from desktop_app.core import models as m
from desktop_app.core.errors import StoreError
from desktop_app.core.models import QuotaSnapshot, RecordBatch, TelemetryEvent, UsageEvent
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.dayzone import resolve_zone
from desktop_app.core.store.engine import DATABASE_ERRORS, as_database
from desktop_app.core.store.queries import counters, daily_usage, developers_seen, latest_quotas
from desktop_app.core.store.rollup import compute_day_totals, read_day_totals
from desktop_app.core.store.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    TELEMETRY_TABLE,
    USAGE_TABLE,
    EventTable,
    add_columns,
)
from tests.helpers.stores import dict_rows, execute, rows

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
TABLES = {"schema_version", "usage_events", "telemetry_events", "quota_snapshots", "counters", "meta",
          "developers", "daily_rollup", "daily_rollup_counts", "rollup_dirty", "connection_events", "instances",
          "team_developers", "otel_tool_calls", "otel_metric_points", "daily_seed_chat", "daily_seed_completions",
          "daily_ide_usage", "daily_ide_interactions", "daily_ide_telemetry"}


def usage(at=T0, developer="alice", **fields):
    base = {"developer": developer, "started_at": at, "method": "POST", "host": "api.githubcopilot.com",
            "path": "/chat/completions", "host_family": "api", "kind": m.KIND_MODEL_CALL, "status": 200,
            "duration_ms": 1000.0, "ttfb_ms": 300.0, "request_bytes": 1000, "response_bytes": 2000,
            "http_version": "HTTP/2.0", "streamed": True, "mode": "ask", "initiator": "user", "model": "gpt-4.1"}
    base.update(fields)
    return UsageEvent(**base)


def shown(at=T0, developer="alice", key="k1", **fields):
    return TelemetryEvent(developer=developer, occurred_at=at, event=m.COMPLETION_SHOWN, suggestion_key=key, **fields)


def quota(at=T0, developer="alice", remaining=50.0, name="premium_interactions"):
    return QuotaSnapshot(developer=developer, quota=name, observed_at=at, entitlement=300.0,
                         remaining_percent=remaining, overage=0.0, overage_permitted=False, reset_at="2026-04-01")


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "usage.sqlite3"


@pytest.fixture
def store(target):
    with UsageStore.open(target, "UTC") as opened:
        yield opened


# --- the file and its schema ---------------------------------------------------------------------------


def test_open_creates_schema_in_wal_mode_in_private_file(db_path):
    store = UsageStore.open(db_path, "UTC")
    store.write(RecordBatch(usage=(usage(),)))
    tables = {name for (name,) in rows(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == TABLES
    assert rows(db_path, "PRAGMA journal_mode") == [("wal",)]
    assert store._connection().execute("PRAGMA synchronous").fetchone() == (2,)  # FULL: see SYNCHRONOUS
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
    for extra in ("-wal", "-shm"):
        side = db_path.with_name(db_path.name + extra)
        assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0
    store.close()


def test_schema_version_rows_follow_the_migrations(store, target):
    assert len(MIGRATIONS) == SCHEMA_VERSION
    versions = [v for (v,) in rows(target, "SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_indexes_for_day_developer_queries_and_unique_source_ids(db_path):
    UsageStore.open(db_path, "UTC").close()
    indexes = dict(rows(db_path, "SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
    assert "ON usage_events (day, developer)" in indexes["usage_events_day_developer"]
    assert "ON telemetry_events (day, developer)" in indexes["telemetry_events_day_developer"]
    assert indexes["usage_events_source_id"].startswith("CREATE UNIQUE INDEX")


def test_reopening_keeps_data_and_does_not_migrate_again(target):
    with UsageStore.open(target, "UTC") as store:
        store.write(RecordBatch(usage=(usage(),)))
    with UsageStore.open(target, "UTC"):
        pass
    assert rows(target, "SELECT COUNT(*) FROM usage_events") == [(1,)]
    assert rows(target, "SELECT COUNT(*) FROM schema_version") == [(SCHEMA_VERSION,)]


def test_database_from_a_newer_version_is_refused(target):
    UsageStore.open(target, "UTC").close()
    execute(target, "INSERT INTO schema_version (version, applied_at) VALUES (?, 0)", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="newer version") as caught:
        UsageStore.open(target, "UTC")
    assert as_database(target).label in caught.value.user_message
    with pytest.raises(StoreError, match="newer version"):
        UsageStore.reader(target)


def test_corrupt_file_is_reported_by_name_and_left_alone(db_path):
    db_path.parent.mkdir(parents=True)
    garbage = b"this is not a database at all " * 200
    db_path.write_bytes(garbage)
    with pytest.raises(StoreError, match="damaged") as caught:
        UsageStore.open(db_path, "UTC")
    assert str(db_path) in caught.value.user_message
    assert caught.value.details
    assert db_path.read_bytes() == garbage
    with pytest.raises(StoreError, match="damaged"):
        UsageStore.reader(db_path)


def test_someone_elses_sqlite_database_is_refused(db_path):
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.close()
    with pytest.raises(StoreError, match="not a Copilot Insight database"):
        UsageStore.open(db_path, "UTC")
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall() == [("photos",)]


def test_unknown_time_zone_is_a_clear_error(db_path):
    with pytest.raises(StoreError, match="'Mars/Olympus' is not a known time zone"):
        UsageStore.open(db_path, "Mars/Olympus")
    assert not db_path.exists()


def test_empty_time_zone_is_the_machines_zone(target, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    assert resolve_zone("").key == "America/New_York"
    with UsageStore.open(target) as store:
        store.write(RecordBatch(usage=(usage(at=datetime(2026, 3, 10, 3, 0, tzinfo=UTC)),)))
    assert rows(target, "SELECT day FROM usage_events") == [("2026-03-09",)]
    assert rows(target, "SELECT value FROM meta WHERE key = 'time_zone'") == [("America/New_York",)]


def test_closed_store_refuses_writes(store):
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        store.write(RecordBatch(usage=(usage(),)))


# --- writing ----------------------------------------------------------------------------------------------


def test_every_usage_field_is_stored(store, target):
    event = usage(kind=m.KIND_COMPLETION, status=None, error="connection reset", ttfb_ms=None, api="completions",
                  initiator_source="header", interaction_id="i1", intent="copilot-ghost", language="python",
                  editor="vscode", editor_version="1.109.0", plugin="copilot-chat", plugin_version="0.37.2",
                  integration_id="vscode-chat", speculative=True, prompt_tokens=1, completion_tokens=2,
                  cached_tokens=3, reasoning_tokens=4, nano_aiu=5, finish_reason="stop", has_text=False,
                  lines_suggested=0, cancelled=True, parse_status="truncated", source_id="import:1",
                  source="otel", turn_id="3")
    store.write(RecordBatch(usage=(event,)))
    (row,) = dict_rows(target, "SELECT * FROM usage_events")
    assert row.pop("started_at") == T0.timestamp()
    assert row.pop("day") == "2026-03-10"
    assert row.pop("otel_span") is None  # set only when a span is merged into a proxy row
    assert row.pop("instance") == ""  # this store was opened without an instance name
    flags = {"streamed", "speculative", "has_text", "cancelled"}
    expected = {name: int(getattr(event, name)) if name in flags else getattr(event, name) for name in row}
    assert row == expected


def test_rows_name_the_instance_that_recorded_them(target):
    with UsageStore.open(target, "UTC", instance="office-a") as store:
        store.write(RecordBatch(usage=(usage(),), telemetry=(shown(),)))
    with UsageStore.open(target, "UTC", instance="office-b") as store:
        store.write(RecordBatch(usage=(usage(),)))
    assert rows(target, "SELECT instance FROM usage_events ORDER BY instance") == [("office-a",), ("office-b",)]
    assert rows(target, "SELECT instance FROM telemetry_events") == [("office-a",)]


@pytest.mark.parametrize("table", [USAGE_TABLE, TELEMETRY_TABLE], ids=lambda t: t.name)
def test_a_migrated_database_has_exactly_the_event_dataclass_columns(db_path, table):
    UsageStore.open(db_path, "UTC").close()
    info = rows(db_path, f"PRAGMA table_info({table.name})")
    found = {name: (kind + (" NOT NULL" if notnull else "")) for _, name, kind, notnull, _, _ in info}
    # ...and the instance that recorded the row, which the store appends (not a field of the event)
    assert found == {name: table.column_type(name) for name in table.columns} | {"instance": "TEXT NOT NULL"}


def test_a_new_event_field_becomes_a_column_by_one_migration_step(db_path):
    @dataclass(frozen=True, kw_only=True)
    class Wider(UsageEvent):
        channel: str = "stable"
        weight: float | None = None

    wider = EventTable("usage_events", Wider, "started_at")
    with UsageStore.open(db_path, "UTC") as opened:
        opened.write(RecordBatch(usage=(usage(),)))
    conn = sqlite3.connect(db_path)
    add_columns(conn, wider, "channel", "weight")
    conn.execute(wider.insert_with(), wider.row(Wider(**asdict(usage(at=T0 + timedelta(hours=1))), channel="beta",
                                               weight=0.5), resolve_zone("UTC")))
    assert conn.execute("SELECT channel, weight FROM usage_events ORDER BY started_at").fetchall() == [
        ("stable", None), ("beta", 0.5)]
    conn.close()


def test_empty_source_ids_are_stored_as_null_and_never_collide(store, target):
    store.write_many([RecordBatch(usage=(usage(),)), RecordBatch(usage=(usage(),))])
    assert rows(target, "SELECT COUNT(*), COUNT(source_id) FROM usage_events") == [(2, 0)]


def test_imports_with_source_ids_are_idempotent(store, target):
    batch = RecordBatch(usage=(usage(source_id="log:1"), usage(source_id="log:2"), usage(source_id="log:1")),
                        telemetry=(shown(source_id="t:1"), shown(source_id="t:1"), shown(key="k2")))
    store.write(batch)
    store.write(batch)
    assert rows(target, "SELECT COUNT(*) FROM usage_events") == [(2,)]
    assert rows(target, "SELECT COUNT(*) FROM telemetry_events") == [(3,)]  # two keyless imports + one id
    with closing(store.read_connection()) as conn:
        (day,) = daily_usage(conn, date(2026, 3, 10), date(2026, 3, 10))
    assert day.model_calls == 2


def test_write_many_is_one_transaction(store, target):
    broken = usage(developer=None)  # violates NOT NULL
    with pytest.raises(StoreError, match="could not be written"):
        store.write_many([RecordBatch(usage=(usage(),)), RecordBatch(usage=(broken,))])
    assert rows(target, "SELECT COUNT(*) FROM usage_events") == [(0,)]
    store.write(RecordBatch(usage=(usage(),)))  # the store is still usable
    assert rows(target, "SELECT COUNT(*) FROM usage_events") == [(1,)]


def test_latest_quota_snapshot_wins_whatever_the_arrival_order(store):
    store.write(RecordBatch(quotas=(quota(at=T0, remaining=40.0),)))
    store.write(RecordBatch(quotas=(quota(at=T0 - timedelta(hours=1), remaining=90.0),)))
    store.write(RecordBatch(quotas=(quota(developer="bob", remaining=10.0), quota(name="chat", remaining=100.0))))
    with closing(store.read_connection()) as conn:
        snapshots = latest_quotas(conn)
        assert latest_quotas(conn, ["bob"]) == [quota(developer="bob", remaining=10.0)]
    assert [(q.developer, q.quota, q.remaining_percent) for q in snapshots] == [
        ("alice", "chat", 100.0), ("alice", "premium_interactions", 40.0), ("bob", "premium_interactions", 10.0)]
    assert snapshots[1] == quota(at=T0, remaining=40.0)


def test_quotas_in_one_batch_end_as_written_one_by_one(store, tmp_path):
    hour = timedelta(hours=1)
    readings = [quota(at=T0, remaining=40.0), quota(at=T0 - hour, remaining=90.0), quota(at=T0, remaining=30.0),
                quota(developer="bob", at=T0 - hour), quota(name="chat", at=T0 + hour, remaining=5.0),
                quota(developer="bob", at=T0 - 2 * hour, remaining=1.0)]
    store.write(RecordBatch(quotas=(quota(name="chat", at=T0 + 2 * hour, remaining=7.0),)))
    store.write_many([RecordBatch(quotas=tuple(readings[:3])), RecordBatch(quotas=tuple(readings[3:]))])
    with UsageStore.open(tmp_path / "one-by-one.sqlite3", "UTC") as single:
        single.write(RecordBatch(quotas=(quota(name="chat", at=T0 + 2 * hour, remaining=7.0),)))
        for reading in readings:
            single.write(RecordBatch(quotas=(reading,)))
        with closing(single.read_connection()) as conn:
            expected = latest_quotas(conn)
    with closing(store.read_connection()) as conn:
        assert latest_quotas(conn) == expected
    assert [(q.developer, q.quota, q.remaining_percent) for q in expected] == [
        ("alice", "chat", 7.0), ("alice", "premium_interactions", 30.0), ("bob", "premium_interactions", 50.0)]


def test_counters_accumulate(store):
    store.write_many((), [("unparsed", 2)])
    store.write_many([RecordBatch(usage=(usage(),))], [("unparsed", 3), ("dropped", 1)])
    with closing(store.read_connection()) as conn:
        assert counters(conn) == {"dropped": 1, "unparsed": 5}


def test_developers_seen_keeps_the_latest_moment(store):
    store.write(RecordBatch(usage=(usage(at=T0 + timedelta(hours=2)),)))
    store.write(RecordBatch(usage=(usage(at=T0),), telemetry=(shown(developer="bob", at=T0 + timedelta(hours=1)),)))
    with closing(store.read_connection()) as conn:
        assert developers_seen(conn) == [("alice", T0 + timedelta(hours=2)), ("bob", T0 + timedelta(hours=1))]


# --- days and time zones ----------------------------------------------------------------------------------

LATE = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(("zone", "day"), [("Europe/Berlin", "2026-03-02"), ("UTC", "2026-03-01"),
                                           ("America/Los_Angeles", "2026-03-01")])
def test_day_is_computed_in_the_configured_zone(target, zone, day):
    with UsageStore.open(target, zone) as store:
        store.write(RecordBatch(usage=(usage(at=LATE),), telemetry=(shown(at=LATE),)))
    assert rows(target, "SELECT day FROM usage_events UNION ALL SELECT day FROM telemetry_events") == [(day,), (day,)]


def test_days_are_recomputed_when_reopened_in_another_zone(target):
    events = tuple(usage(at=LATE + timedelta(hours=h)) for h in (-22, 0, 1, 24))
    with UsageStore.open(target, "UTC") as store:
        store.write(RecordBatch(usage=events, telemetry=(shown(at=LATE),)))
    calls = []
    with UsageStore.open(target, "Europe/Berlin", progress=lambda done, total: calls.append((done, total))) as store:
        assert store.zone.key == "Europe/Berlin"
        with closing(store.read_connection()) as conn:
            by_day = {u.day.isoformat(): u.model_calls for u in daily_usage(conn, date(2026, 2, 1), date(2026, 3, 31))}
    assert rows(target, "SELECT day FROM usage_events ORDER BY started_at") == [
        ("2026-03-01",), ("2026-03-02",), ("2026-03-02",), ("2026-03-03",)]
    assert rows(target, "SELECT day FROM telemetry_events") == [("2026-03-02",)]
    assert rows(target, "SELECT value FROM meta WHERE key = 'time_zone'") == [("Europe/Berlin",)]
    assert by_day == {"2026-03-01": 1, "2026-03-02": 2, "2026-03-03": 1}
    assert calls
    assert calls[-1][0] == calls[-1][1]


def test_zone_change_recomputes_across_daylight_saving(target):
    # Berlin switches to summer time on 2026-03-29: 22:30Z is 23:30 before and 00:30 after.
    before, after = datetime(2026, 3, 28, 22, 30, tzinfo=UTC), datetime(2026, 3, 29, 22, 30, tzinfo=UTC)
    with UsageStore.open(target, "UTC") as store:
        store.write(RecordBatch(usage=(usage(at=before), usage(at=after))))
    UsageStore.open(target, "Europe/Berlin").close()
    assert rows(target, "SELECT day FROM usage_events ORDER BY started_at") == [("2026-03-28",), ("2026-03-30",)]


# --- purge ------------------------------------------------------------------------------------------------


def test_purge_deletes_older_events_and_resummarises_the_cutoff_day(store, target):
    moments = [T0 - timedelta(days=3), T0 - timedelta(hours=2), T0, T0 + timedelta(hours=1)]
    store.write(RecordBatch(usage=tuple(usage(at=t) for t in moments),
                            telemetry=(shown(at=moments[0]), shown(at=moments[3], key="k9")),
                            quotas=(quota(at=moments[0]),)))
    store.refresh_rollups()
    removed = store.purge(T0 - timedelta(minutes=30))
    assert removed == 3
    assert rows(target, "SELECT COUNT(*) FROM usage_events") == [(2,)]
    assert rows(target, "SELECT COUNT(*) FROM telemetry_events") == [(1,)]
    with closing(store.read_connection()) as conn:
        result = daily_usage(conn, date(2026, 1, 1), date(2026, 12, 31))
        assert len(latest_quotas(conn)) == 1
    assert [(u.day, u.model_calls) for u in result] == [(date(2026, 3, 10), 2)]
    assert store.purge(T0 - timedelta(days=30)) == 0


# --- rollups ----------------------------------------------------------------------------------------------


def _spread(days, developers=("alice", "bob")):
    events = []
    for d in range(days):
        for n, dev in enumerate(developers):
            at = T0 + timedelta(days=d, minutes=n)
            events.append(usage(at=at, developer=dev, interaction_id=f"i{d}{n}"))
            events.append(usage(at=at, developer=dev, kind=m.KIND_COMPLETION, has_text=True, lines_suggested=2,
                                language="go", duration_ms=100.0 * (d + 1)))
    return events


def dirty_days(path):
    return [day for (day,) in rows(path, "SELECT day FROM rollup_dirty ORDER BY day")]


def test_finished_days_are_summarised_as_writing_moves_on(store, target):
    store.write(RecordBatch(usage=tuple(_spread(1))))
    assert dirty_days(target) == ["2026-03-10"]
    store.write(RecordBatch(usage=(usage(at=T0 + timedelta(days=1)),)))
    assert dirty_days(target) == ["2026-03-11"]
    assert rows(target, "SELECT day, developer, model_calls FROM daily_rollup ORDER BY developer") == [
        ("2026-03-10", "alice", 1), ("2026-03-10", "bob", 1)]
    assert store.refresh_rollups() == 1
    assert dirty_days(target) == []


def test_rollup_and_raw_events_agree(store):
    store.write_many([RecordBatch(usage=(event,)) for event in _spread(4)])
    with closing(store.read_connection()) as conn:
        days = [f"2026-03-{d}" for d in range(10, 14)]
        raw = compute_day_totals(conn, days)
        store.refresh_rollups()
        summarised = read_day_totals(conn, date(2026, 3, 10), date(2026, 3, 13))
    assert len(raw) == 8
    assert summarised == raw


def test_reader_is_read_only_and_sees_new_commits(store, target):
    conn = store.read_connection()
    try:
        with pytest.raises(DATABASE_ERRORS, match=r"readonly|read-only"):
            conn.execute("DELETE FROM usage_events")
        assert daily_usage(conn, date(2026, 3, 10), date(2026, 3, 10)) == []
        store.write(RecordBatch(usage=(usage(),)))
        assert len(daily_usage(conn, date(2026, 3, 10), date(2026, 3, 10))) == 1
    finally:
        conn.close()


def test_reader_of_a_missing_database_explains(tmp_path):
    with pytest.raises(StoreError, match="no usage database"):
        UsageStore.reader(tmp_path / "nothing.sqlite3")


def test_naive_datetimes_are_taken_as_utc(store, target):
    store.write(RecordBatch(usage=(replace(usage(), started_at=T0.replace(tzinfo=None)),)))
    assert rows(target, "SELECT started_at FROM usage_events") == [(T0.timestamp(),)]


def test_an_existing_folder_keeps_its_mode(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    UsageStore.open(shared / "usage.sqlite3", "UTC").close()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE((shared / "usage.sqlite3").stat().st_mode) == 0o600


def test_writer_and_readers_on_their_own_threads(store):
    errors, results = [], []

    def write():
        try:
            store.write_many([RecordBatch(usage=(usage(at=T0 + timedelta(minutes=n)),)) for n in range(50)])
        except Exception as exc:
            errors.append(exc)

    def read():
        try:
            with closing(store.read_connection()) as conn:
                results.append(sum(u.model_calls for u in daily_usage(conn, T0.date(), T0.date())))
        except Exception as exc:
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    writer.join()
    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert errors == []
    assert results == [50, 50, 50]
