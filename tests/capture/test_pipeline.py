"""The writer thread's pipeline with real objects: analysis, store, retries, loss counters, retention."""

import json
import logging
import os
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from desktop_app.capture import pipeline as pipeline_module
from desktop_app.capture.analysis import analyze
from desktop_app.capture.exchange import Exchange
from desktop_app.capture.pipeline import RecordingPipeline, Retention
from desktop_app.core import models as m
from desktop_app.core.errors import StoreError
from desktop_app.core.store import engine as store_module
from desktop_app.core.store.content_log import ContentLog
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import counters

KEEP = Retention(content_days=365, event_days=365)
DISK_FULL = "database or disk is full"


def sse(*chunks):
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


def chat_exchange(developer="alice", started=None, *, answer="Hello", prompt_tokens=12, completion_tokens=3,
                  model="gpt-4o"):
    """A streamed chat completion from VS Code, as the recorder captures it."""
    started = time.time() - 60 if started is None else started
    request = json.dumps({"model": model, "stream": True,
                          "messages": [{"role": "user", "content": "What does this function do?"}]}).encode()
    response = sse(
        {"id": "c1", "model": f"{model}-2024-11-20", "choices": [{"index": 0, "delta": {"content": answer}}]},
        {"id": "c1", "model": f"{model}-2024-11-20", "choices": [{"index": 0, "finish_reason": "stop", "delta": {}}],
         "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                   "total_tokens": prompt_tokens + completion_tokens}},
    )
    return Exchange(
        developer=developer, started=started, method="POST", host="api.githubcopilot.com",
        path="/chat/completions?trace=1", http_version="HTTP/2.0",
        request_headers=(("content-type", "application/json"), ("editor-version", "vscode/1.99.0"),
                         ("editor-plugin-version", "copilot-chat/0.26.0"), ("openai-intent", "conversation-panel"),
                         ("x-initiator", "user"), ("authorization", "Bearer secret-token")),
        request_body=request, status=200, response_headers=(("content-type", "text/event-stream"),),
        response_body=response, response_bytes=len(response), truncated=False, first_byte_at=started + 0.2,
        ended=started + 0.9, streamed=True)


class FlakyOpen:
    """`open_store` that fails (as a full disk would) `failures` times, then opens the real store."""

    def __init__(self, path, failures):
        self.path, self.failures, self.calls = path, failures, 0

    def __call__(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise sqlite3.OperationalError(DISK_FULL)
        return UsageStore.open(self.path, "UTC")


class Listener:
    def __init__(self):
        self.batches = []

    def __call__(self, events):
        self.batches.append(list(events))


@pytest.fixture
def db(tmp_path):
    return tmp_path / "data" / "usage.sqlite3"


@pytest.fixture
def pipelines():
    """Every pipeline a test makes is closed afterwards (closing its store connection)."""
    made = []

    def make(open_store, content=None, retention=KEEP, listeners=(), dropped=lambda: 0):
        made.append(RecordingPipeline(open_store, content, retention, listeners, dropped))
        return made[-1]

    yield make
    for pipeline in made:
        pipeline.close()


def rows(path, sql, *args):
    with closing(UsageStore.reader(path)) as conn:
        return conn.execute(sql, args).fetchall()


def developers_stored(path):
    return [row[0] for row in rows(path, "SELECT developer FROM usage_events ORDER BY started_at, developer")]


def stored_counters(path):
    with closing(UsageStore.reader(path)) as conn:
        return counters(conn)


def opener(path):
    return partial(UsageStore.open, path, "UTC")


# --- analysis and storage ------------------------------------------------------------------------


def test_a_batch_is_analysed_and_stored(db, pipelines):
    pipeline = pipelines(opener(db))
    start = time.time() - 600
    pipeline([chat_exchange("alice", start), chat_exchange("bob", start + 1, prompt_tokens=100),
              chat_exchange("alice", start + 2, model="claude-sonnet-4")])
    assert (pipeline.stats.analysed, pipeline.stats.stored, pipeline.stats.unparsed,
            pipeline.stats.unrecorded) == (3, 3, 0, 0)
    assert rows(db, "SELECT developer, kind, api, mode, initiator, host, path, status, model, editor, prompt_tokens, "
                    "completion_tokens, finish_reason, has_text, parse_status "
                    "FROM usage_events ORDER BY started_at") == [
        ("alice", m.KIND_MODEL_CALL, "chat_completions", "ask", "user", "api.githubcopilot.com",
         "/chat/completions", 200, "gpt-4o", "vscode", 12, 3, "stop", 1, "ok"),
        ("bob", m.KIND_MODEL_CALL, "chat_completions", "ask", "user", "api.githubcopilot.com",
         "/chat/completions", 200, "gpt-4o", "vscode", 100, 3, "stop", 1, "ok"),
        ("alice", m.KIND_MODEL_CALL, "chat_completions", "ask", "user", "api.githubcopilot.com",
         "/chat/completions", 200, "claude-sonnet-4", "vscode", 12, 3, "stop", 1, "ok"),
    ]
    ids = [row[0] for row in rows(db, "SELECT source_id FROM usage_events")]
    assert len(set(ids)) == 3  # every live event carries a globally unique id
    assert all(len(i) == 32 for i in ids)
    started = [row[0] for row in rows(db, "SELECT started_at FROM usage_events ORDER BY started_at")]
    assert started == pytest.approx([start, start + 1, start + 2])
    everything = " ".join(str(r) for r in rows(db, "SELECT * FROM usage_events"))
    assert "secret-token" not in everything
    assert "trace=1" not in everything  # the query string is dropped


def test_the_store_is_opened_once_and_lazily(db, pipelines):
    opens = FlakyOpen(db, failures=0)
    pipeline = pipelines(opens)
    assert opens.calls == 0
    assert not db.exists()
    pipeline([chat_exchange("alice")])
    pipeline([chat_exchange("bob")])
    assert opens.calls == 1
    assert developers_stored(db) == ["alice", "bob"]


def test_without_a_store_nothing_is_written_but_listeners_still_hear(pipelines):
    listener = Listener()
    pipeline = pipelines(None, listeners=[listener])
    pipeline([chat_exchange("alice")])
    assert pipeline.stats.analysed == 1
    assert pipeline.stats.stored == 0
    assert [e.developer for e in listener.batches[0]] == ["alice"]


def test_content_files_are_written_when_content_recording_is_on(db, tmp_path, pipelines):
    content = ContentLog(tmp_path / "content")
    pipeline = pipelines(opener(db), content)
    started = datetime(2026, 3, 10, 9, 5, 7, 250000, tzinfo=UTC).timestamp()
    pipeline([chat_exchange("alice", started)])
    path = tmp_path / "content" / "alice" / "chat" / "2026-03-10T09-05-07.250000_alice.json"
    assert pipeline.stats.content_files == 1
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["proxy-authorization"] == "alice"
    assert "secret-token" not in path.read_text(encoding="utf-8")


# --- a store that cannot be opened or written ----------------------------------------------------


def test_a_batch_the_store_could_not_take_is_written_with_the_next(db, pipelines, caplog):
    opens = FlakyOpen(db, failures=1)
    pipeline = pipelines(opens)
    with caplog.at_level(logging.ERROR, logger=pipeline_module.__name__):
        pipeline([chat_exchange("alice", time.time() - 30), chat_exchange("bob", time.time() - 20)])
    assert DISK_FULL in caplog.text
    assert (pipeline.stats.stored, pipeline.stats.unrecorded) == (0, 0)
    pipeline([chat_exchange("carol", time.time() - 10)])
    assert opens.calls == 2
    assert (pipeline.stats.analysed, pipeline.stats.stored, pipeline.stats.unrecorded) == (3, 3, 0)
    assert developers_stored(db) == ["alice", "bob", "carol"]
    assert "unrecorded" not in stored_counters(db)
    pipeline([chat_exchange("dave")])  # nothing pending any more: stored once
    assert sorted(developers_stored(db)) == ["alice", "bob", "carol", "dave"]


def test_a_locked_database_keeps_the_batch_for_the_next_write(db, pipelines, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 50)  # fail fast instead of waiting 10 s
    pipeline = pipelines(opener(db))
    pipeline([chat_exchange("alice", time.time() - 30)])
    with closing(sqlite3.connect(db, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        pipeline([chat_exchange("bob", time.time() - 20)])
        assert pipeline.stats.stored == 1
        other.execute("ROLLBACK")
    pipeline([chat_exchange("carol", time.time() - 10)])
    assert (pipeline.stats.stored, pipeline.stats.unrecorded) == (3, 0)
    assert developers_stored(db) == ["alice", "bob", "carol"]


def test_beyond_max_pending_the_oldest_records_are_counted_as_unrecorded(db, pipelines, monkeypatch):
    monkeypatch.setattr(pipeline_module, "MAX_PENDING", 3)
    opens = FlakyOpen(db, failures=3)
    pipeline = pipelines(opens)
    start = time.time() - 600
    for call in range(3):  # 2 exchanges each: 2 pending, then 4 (1 lost), then 5 (2 lost)
        pipeline([chat_exchange(f"dev{2 * call}", start + 2 * call), chat_exchange(f"dev{2 * call + 1}",
                                                                                    start + 2 * call + 1)])
    assert (pipeline.stats.stored, pipeline.stats.unrecorded) == (0, 3)
    pipeline([chat_exchange("dev6", start + 6)])
    assert (pipeline.stats.analysed, pipeline.stats.stored, pipeline.stats.unrecorded) == (7, 4, 3)
    assert developers_stored(db) == ["dev3", "dev4", "dev5", "dev6"]  # the newest were kept
    assert stored_counters(db) == {"unrecorded": 3}


# --- analysis failures ---------------------------------------------------------------------------


def test_an_exchange_whose_analysis_fails_is_counted_and_does_not_stop_the_others(db, pipelines, monkeypatch,
                                                                                      caplog):
    def fragile(exchange, **options):
        if exchange.developer == "broken":
            raise ValueError("parser bug")
        return analyze(exchange, **options)

    monkeypatch.setattr(pipeline_module, "analyze", fragile)
    listener = Listener()
    pipeline = pipelines(opener(db), listeners=[listener])
    start = time.time() - 60
    with caplog.at_level(logging.ERROR, logger=pipeline_module.__name__):
        pipeline([chat_exchange("alice", start), chat_exchange("broken", start + 1), chat_exchange("bob", start + 2)])
    assert "Could not analyse a POST request to api.githubcopilot.com" in caplog.text
    assert "parser bug" in caplog.text
    assert (pipeline.stats.analysed, pipeline.stats.unparsed) == (3, 1)
    assert rows(db, "SELECT developer, parse_status FROM usage_events WHERE developer <> 'broken' "
                    "ORDER BY started_at") == [("alice", "ok"), ("bob", "ok")]
    assert [e.developer for e in listener.batches[0] if e.developer != "broken"] == ["alice", "bob"]
    assert stored_counters(db) == {"unparsed": 1}
    pipeline([chat_exchange("carol")])  # the pipeline keeps going
    assert "carol" in developers_stored(db)


def test_an_unreadable_body_is_stored_as_unparsed_and_counted(db, pipelines):
    exchange = chat_exchange("alice")
    gzipped_garbage = Exchange(**{**{f: getattr(exchange, f) for f in Exchange.__slots__},
                                  "request_headers": (*exchange.request_headers, ("content-encoding", "gzip")),
                                  "request_body": b"not gzip at all"})
    pipeline = pipelines(opener(db))
    pipeline([gzipped_garbage])
    assert (pipeline.stats.unparsed, pipeline.stats.stored) == (1, 1)
    assert rows(db, "SELECT developer, parse_status FROM usage_events") == [("alice", "unparsed")]
    assert stored_counters(db) == {"unparsed": 1}


# --- listeners -----------------------------------------------------------------------------------


def test_listeners_receive_each_batch_of_usage_events(db, pipelines):
    first, second = Listener(), Listener()
    pipeline = pipelines(opener(db), listeners=[first, second])
    pipeline([chat_exchange("alice"), chat_exchange("bob", prompt_tokens=7)])
    pipeline([chat_exchange("carol")])
    assert first.batches == second.batches
    assert [[e.developer for e in batch] for batch in first.batches] == [["alice", "bob"], ["carol"]]
    event = first.batches[0][1]
    assert isinstance(event, m.UsageEvent)
    assert (event.kind, event.model, event.prompt_tokens, event.completion_tokens) == (m.KIND_MODEL_CALL, "gpt-4o",
                                                                                       7, 3)


def test_listeners_hear_about_requests_even_while_the_store_is_failing(db, pipelines):
    listener = Listener()
    pipeline = pipelines(FlakyOpen(db, failures=5), listeners=[listener])
    pipeline([chat_exchange("alice")])
    assert [e.developer for e in listener.batches[0]] == ["alice"]
    assert pipeline.stats.stored == 0


# --- loss counters -------------------------------------------------------------------------------


def test_loss_counters_are_added_to_the_store(db, pipelines, monkeypatch):
    dropped = [2]

    def fragile(exchange, **options):
        if exchange.developer == "broken":
            raise ValueError("parser bug")
        return analyze(exchange, **options)

    monkeypatch.setattr(pipeline_module, "analyze", fragile)
    pipeline = pipelines(opener(db), dropped=lambda: dropped[0])
    pipeline([chat_exchange("alice"), chat_exchange("broken")])
    assert stored_counters(db) == {"dropped": 2, "unparsed": 1}
    pipeline([chat_exchange("bob")])
    assert stored_counters(db) == {"dropped": 2, "unparsed": 1}  # deltas only: nothing counted twice
    dropped[0] = 5
    pipeline([chat_exchange("broken")])
    assert stored_counters(db) == {"dropped": 5, "unparsed": 2}
    dropped[0] = 9
    pipeline.close()  # what was lost after the last write is saved at close
    assert stored_counters(db) == {"dropped": 9, "unparsed": 2}
    pipeline.close()  # closing twice is harmless


def test_counters_add_up_across_restarts(db, pipelines):
    first = pipelines(opener(db), dropped=lambda: 4)
    first([chat_exchange("alice")])
    first.close()
    pipelines(opener(db), dropped=lambda: 3)([chat_exchange("bob")])  # a new process counts from 0 again
    assert stored_counters(db) == {"dropped": 7}


def test_losses_during_an_outage_are_saved_once_the_store_works(db, pipelines, monkeypatch):
    monkeypatch.setattr(pipeline_module, "MAX_PENDING", 1)
    pipeline = pipelines(FlakyOpen(db, failures=2), dropped=lambda: 1)
    start = time.time() - 600
    pipeline([chat_exchange("alice", start), chat_exchange("bob", start + 1)])  # alice lost
    pipeline([chat_exchange("carol", start + 2)])  # bob lost
    assert not db.exists()
    assert pipeline.stats.unrecorded == 2
    pipeline([chat_exchange("dave", start + 3)])  # the kept record and this batch are written together
    assert stored_counters(db) == {"dropped": 1, "unrecorded": 2}
    assert developers_stored(db) == ["carol", "dave"]


def test_the_loss_counters_travel_in_the_batch_transaction(db, pipelines, monkeypatch):
    dropped = [1]
    pipeline = pipelines(opener(db), dropped=lambda: dropped[0])
    writes = []
    real_write_many = UsageStore.write_many

    def counting(self, batches, counters=()):
        writes.append(list(counters))
        real_write_many(self, batches, counters)

    monkeypatch.setattr(UsageStore, "write_many", counting)
    pipeline([chat_exchange("alice")])
    pipeline([chat_exchange("bob")])  # nothing new lost: nothing added again
    dropped[0] = 3
    pipeline([chat_exchange("carol")])
    assert writes == [[("dropped", 1)], [], [("dropped", 2)]]  # one write per batch, counters inside it
    assert stored_counters(db) == {"dropped": 3}
    assert developers_stored(db) == ["alice", "bob", "carol"]


# --- retention -----------------------------------------------------------------------------------


def test_retention_purge_deletes_events_older_than_the_configured_days(db, tmp_path, pipelines, monkeypatch):
    content = ContentLog(tmp_path / "content")
    pipeline = pipelines(opener(db), content, Retention(content_days=7, event_days=30))
    now = time.time()
    pipeline([chat_exchange("recent", now - 3600)])  # the first batch also purges (nothing old yet)
    pipeline([chat_exchange("old", now - 40 * 86400), chat_exchange("month", now - 29 * 86400)])
    assert sorted(developers_stored(db)) == ["month", "old", "recent"]  # no purge within the interval

    old_file = next((tmp_path / "content" / "old").rglob("*.json"))
    month_file = next((tmp_path / "content" / "month").rglob("*.json"))
    recent_file = next((tmp_path / "content" / "recent").rglob("*.json"))
    for path, days in ((old_file, 40), (month_file, 8)):
        os.utime(path, (now - days * 86400, now - days * 86400))

    monkeypatch.setattr(pipeline_module, "PURGE_INTERVAL", 0.0)  # the hour has passed
    pipeline._purge_if_due()  # the writer thread's hourly timer
    assert sorted(developers_stored(db)) == ["month", "recent"]
    old_day = datetime.fromtimestamp(now - 40 * 86400, UTC).date().isoformat()
    assert rows(db, "SELECT COUNT(*) FROM daily_rollup WHERE day <= ?", old_day) == [(0,)]
    assert not old_file.exists()
    assert not month_file.exists()  # content is kept for 7 days only
    assert recent_file.exists()


def test_a_failing_purge_is_logged_and_the_batch_still_goes_through(db, pipelines, monkeypatch, caplog):
    listener = Listener()
    pipeline = pipelines(opener(db), retention=Retention(content_days=7, event_days=30), listeners=[listener])

    def broken_purge(self, before):
        raise StoreError(DISK_FULL)

    monkeypatch.setattr(UsageStore, "purge", broken_purge)
    with caplog.at_level(logging.ERROR, logger=pipeline_module.__name__):
        pipeline([chat_exchange("alice", time.time() - timedelta(days=1).total_seconds())])
    assert "Retention purge failed" in caplog.text
    assert developers_stored(db) == ["alice"]
    assert len(listener.batches) == 1
