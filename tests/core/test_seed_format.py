"""The seed-shaped daily metrics agree with the other report formats (`usage_query.daily_usage`)."""

from contextlib import closing
from datetime import UTC, date, datetime, timedelta

import pytest

from desktop_app.core import models as m
from desktop_app.core.models import RecordBatch, UsageEvent
from desktop_app.core.paths import resolve_paths
from desktop_app.core.seed_format import seed_daily_metrics
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import daily_usage
from tests.benchmarks.generate_data import fill_data_dir
from tests.benchmarks.synthetic import SyntheticSpec

DAY = date(2026, 3, 10)
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def event(at, kind, **fields):
    base = {"developer": "alice", "started_at": at, "method": "POST", "host": "api.githubcopilot.com",
            "path": "/chat/completions", "host_family": "api", "kind": kind, "status": 200, "duration_ms": 500.0,
            "ttfb_ms": None, "request_bytes": 100, "response_bytes": 100, "http_version": "HTTP/2.0",
            "streamed": True, "editor": "vscode", "editor_version": "1.96.2"}
    base.update(fields)
    return UsageEvent(**base)


def call(minute, interaction="", **fields):
    fields = {"mode": "ask", "initiator": "user", **fields}
    return event(NOON + timedelta(minutes=minute), m.KIND_MODEL_CALL, interaction_id=interaction, model="gpt-5.4",
                 api="chat_completions", **fields)


def completion(minute, language="python", **fields):
    fields.setdefault("has_text", True)
    return event(NOON + timedelta(minutes=minute), m.KIND_COMPLETION, host="proxy.individual.githubcopilot.com",
                 path="/v1/engines/gpt-41-copilot/completions", host_family="proxy", api="completions",
                 model="gpt-41-copilot", language=language, **fields)


EVENTS = (
    # one interaction whose user calls come from two editor versions (the earlier one is 1.96.2)
    call(0, "turn-1"),
    call(1, "turn-1", editor_version="1.97.0"),
    # ... and one that starts under 1.97.0 and continues in another editor
    call(2, "turn-2", editor_version="1.97.0"),
    call(3, "turn-2", editor="JetBrains-IU", editor_version="2024.3"),
    # two user calls without an interaction id at the same instant: two interactions
    call(5),
    call(5),
    # not user interactions: an agent follow-up, a utility call
    call(6, "turn-1", initiator="agent"),
    call(7, "turn-9", mode="other"),
    # an extension's call is a user interaction
    call(8, "turn-3", mode="extension:acme", editor="", editor_version=""),
    # completions: returned, failed with text, speculative, empty, no text known, another editor
    completion(10),
    completion(11),
    completion(12, status=500, error="HTTP 500"),
    completion(13, speculative=True),
    completion(14, has_text=False),
    completion(15, has_text=None),
    completion(16, language="", editor="JetBrains-IU", editor_version="2024.3"),
    completion(17, language="go", editor_version="1.97.0"),
    # another developer, another day
    completion(60 * 24, developer="bob"),
    call(60 * 24 + 1, "bob-turn", developer="bob"),
)


@pytest.fixture(params=["raw events", "rollup"])
def database(request, tmp_path):
    path = tmp_path / "usage.sqlite3"
    with UsageStore.open(path, "UTC") as store:
        store.write_many([RecordBatch(usage=EVENTS[:9]), RecordBatch(usage=EVENTS[9:])])
        if request.param == "rollup":
            store.refresh_rollups()
    return path


def assert_agrees_with_daily_usage(conn, first, last, developers=None):
    """Each (day, developer)'s seed figures equal daily_usage's, and each breakdown sums to its total."""
    seed = {(day["day"], developer): entry for day in seed_daily_metrics(conn, first, last, developers)
            for developer, entry in day["usage"].items()}
    expected = {(row.day.isoformat(), row.developer): row for row in daily_usage(conn, first, last, developers)
                if row.user_interactions or row.completions_returned}
    assert set(seed) == set(expected)
    for key, entry in seed.items():
        row = expected[key]
        assert (entry["chat_turns"], entry["completions_count"]) == (
            row.user_interactions, row.completions_returned), key
        assert sum(entry["chat"].values()) == entry["chat_turns"], key
        assert sum(n for per_language in entry["completions"].values() for n in per_language.values()) == (
            entry["completions_count"]), key
    return seed


def test_the_edge_cases_count_as_in_the_other_formats(database):
    with closing(UsageStore.reader(database)) as conn:
        seed = assert_agrees_with_daily_usage(conn, DAY, DAY + timedelta(days=1))
    alice = seed[DAY.isoformat(), "alice"]
    # turn-1, turn-2, two calls without an id, the extension's turn-3
    assert alice["chat_turns"] == 5
    assert alice["chat"] == {"vscode-1.96.2": 3, "vscode-1.97.0": 1, "unknown": 1}
    # only completions answered 200, not speculative, with text
    assert alice["completions_count"] == 4
    assert alice["completions"] == {"vscode-1.96.2": {"python": 2}, "vscode-1.97.0": {"go": 1},
                                    "JetBrains-IU-2024.3": {"unknown": 1}}
    bob = seed[(DAY + timedelta(days=1)).isoformat(), "bob"]
    assert (bob["chat_turns"], bob["completions_count"]) == (1, 1)


def test_totals_and_developer_filter(database):
    with closing(UsageStore.reader(database)) as conn:
        days = seed_daily_metrics(conn, DAY, DAY + timedelta(days=1))
        only_bob = seed_daily_metrics(conn, DAY, DAY + timedelta(days=1), ["bob"])
        assert seed_daily_metrics(conn, DAY, DAY + timedelta(days=1), []) == []
        assert_agrees_with_daily_usage(conn, DAY, DAY + timedelta(days=1), ["bob"])
    assert [(d["day"], d["total_chat_turns"], d["total_completions_count"]) for d in days] == [
        ("2026-03-10", 5, 4), ("2026-03-11", 1, 1)]
    assert [(d["day"], list(d["usage"])) for d in only_bob] == [("2026-03-11", ["bob"])]


def test_a_synthetic_store_agrees_for_every_developer_day(tmp_path):
    spec = SyntheticSpec(usage_events=3000, developers=3, first_day=date(2026, 11, 2), days=3)
    fill_data_dir(tmp_path, spec)
    with closing(UsageStore.reader(resolve_paths(tmp_path).database)) as conn:
        seed = assert_agrees_with_daily_usage(conn, spec.first_day, spec.first_day + timedelta(days=spec.days - 1))
    assert len(seed) == 9
    assert all(entry["chat_turns"] and entry["completions_count"] for entry in seed.values())
