"""Never counted twice: a model call seen by the proxy and by the client's OpenTelemetry is one row."""

import sqlite3
from datetime import timedelta

import pytest

from desktop_app.core import models as m
from desktop_app.core.models import RecordBatch, ToolCall
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.rollup import DIM_MCP_SERVER, DIM_SOURCE, DIM_TOOL, SOURCE_BOTH, compute_day_totals
from tests.core.store.test_database import T0, usage

INTERACTION = "7f9c1d2e-3a4b-4c5d-8e6f-0a1b2c3d4e5f"


def proxied(at=T0, **fields):
    return usage(at, **({"interaction_id": INTERACTION, "mode": "cli", "prompt_tokens": 5760} | fields))


def span(at=T0, span_id="c1", turn="0", **fields):
    base = {"interaction_id": INTERACTION, "mode": "cli", "prompt_tokens": 5760, "source": m.SOURCE_OTEL,
            "source_id": f"otel:t1:{span_id}", "turn_id": turn, "host": "github-copilot", "path": ""}
    return usage(at, **(base | fields))


@pytest.fixture
def store(tmp_path):
    with UsageStore.open(tmp_path / "usage.sqlite3", "UTC") as opened:
        yield opened


def stored(store):
    conn = sqlite3.connect(store.path)
    try:
        return conn.execute("SELECT source, otel_span, turn_id, host FROM usage_events ORDER BY started_at").fetchall()
    finally:
        conn.close()


def test_a_span_after_the_proxy_row_is_merged_into_it(store):
    store.write(RecordBatch(usage=(proxied(),)))
    store.write(RecordBatch(usage=(span(T0 + timedelta(seconds=2)),)))
    assert stored(store) == [("proxy", "otel:t1:c1", "0", "api.githubcopilot.com")]


def test_a_proxy_row_after_the_span_replaces_it(store):
    store.write(RecordBatch(usage=(span(T0 - timedelta(seconds=1)),)))
    store.write(RecordBatch(usage=(proxied(),)))
    assert stored(store) == [("proxy", "otel:t1:c1", "0", "api.githubcopilot.com")]


def test_a_span_sent_again_is_stored_once_merged_or_not(store):
    store.write(RecordBatch(usage=(proxied(),)))
    for _ in range(2):
        store.write(RecordBatch(usage=(span(), span(T0 + timedelta(minutes=10), span_id="c9"))))
    assert stored(store) == [("proxy", "otel:t1:c1", "0", "api.githubcopilot.com"),
                             ("otel", None, "0", "github-copilot")]


def test_a_tool_round_pairs_in_order_even_with_a_skewed_clock(store):
    skew = timedelta(seconds=4)
    store.write(RecordBatch(usage=(proxied(), proxied(T0 + timedelta(seconds=5), prompt_tokens=6120))))
    store.write(RecordBatch(usage=(span(T0 + skew), span(T0 + timedelta(seconds=5) + skew, span_id="c2", turn="1",
                                                         prompt_tokens=6120))))
    assert [row[:3] for row in stored(store)] == [("proxy", "otel:t1:c1", "0"), ("proxy", "otel:t1:c2", "1")]


@pytest.mark.parametrize("different", [
    {"interaction_id": "another"}, {"model": "gpt-5"}, {"developer": "bob"}, {"at": T0 + timedelta(minutes=5)},
])
def test_different_calls_stay_two_rows(store, different):
    at = different.pop("at", T0)
    store.write(RecordBatch(usage=(proxied(),)))
    store.write(RecordBatch(usage=(span(at, **different),)))
    assert sorted(row[0] for row in stored(store)) == ["otel", "proxy"]


def test_a_span_without_interaction_id_matches_on_tokens(store):
    store.write(RecordBatch(usage=(proxied(),)))
    store.write(RecordBatch(usage=(span(interaction_id="", prompt_tokens=1), span(span_id="c2", interaction_id=""))))
    assert sorted(row[:2] for row in stored(store)) == [("otel", None), ("proxy", "otel:t1:c2")]


def test_the_daily_summary_counts_model_calls_by_source_and_tools(store):
    store.write(RecordBatch(usage=(proxied(), proxied(T0 + timedelta(hours=1), interaction_id="x"))))
    store.write(RecordBatch(usage=(span(), span(T0 + timedelta(hours=2), span_id="c3", interaction_id="y")),
                            tool_calls=(ToolCall("alice", T0, "view", "", 40.0, failed=False, source_id="otel:t:e1"),
                                        ToolCall("alice", T0, "search", "5f3a", 80.0, failed=True,
                                                 source_id="otel:t:e2"),
                                        ToolCall("alice", T0, "view", "", 40.0, failed=False,
                                                 source_id="otel:t:e1"))))
    conn = store.read_connection()
    try:
        (totals,) = compute_day_totals(conn, [T0.date().isoformat()])
    finally:
        conn.close()
    assert totals.model_calls == 3
    assert totals.counts[DIM_SOURCE] == {SOURCE_BOTH: 1, "proxy": 1, "otel": 1}
    assert totals.counts[DIM_TOOL] == {"view": 1, "search": 1}
    assert totals.counts[DIM_MCP_SERVER] == {"5f3a": 1}
