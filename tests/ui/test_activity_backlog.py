"""The tray's figures with a shared database: the spool's backlog, and the database's absence said in words."""

from datetime import UTC, datetime

from desktop_app.core import models as m
from desktop_app.core.models import RecordBatch, UsageEvent
from desktop_app.core.store.postgres import PostgresDatabase
from desktop_app.core.store.spool import SpooledStore
from desktop_app.ui.activity import read_today
from tests.e2e.served import free_port


def test_the_tray_reads_the_backlog_while_the_database_is_away(tmp_path):
    away = PostgresDatabase(f"postgresql://postgres@127.0.0.1:{free_port()}/none?connect_timeout=2")
    spool = tmp_path / "spool.sqlite3"
    event = UsageEvent(developer="alice", started_at=datetime.now(UTC), method="POST", host="api.githubcopilot.com",
                       path="/chat/completions", host_family="api", kind=m.KIND_MODEL_CALL, status=200,
                       duration_ms=1.0, ttfb_ms=1.0, request_bytes=1, response_bytes=1, http_version="HTTP/2.0",
                       streamed=False, source_id="e1")
    with SpooledStore.open(away, spool, "UTC", "office-a") as store:
        store.write_many([RecordBatch(usage=(event,)), RecordBatch(usage=(event,))])
    today = read_today(away, "UTC", spool=spool)
    assert (today.backlog.batches, today.backlog.events) == (1, 2)  # one write, one spooled batch
    assert "cannot be reached" in today.database_problem
    assert today.developers == {}  # unknown, and said so: the tray shows the problem, not zero requests
