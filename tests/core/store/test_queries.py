"""The query API: a hand-made day for two developers yields exactly the expected DailyUsage figures."""

from contextlib import closing
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from desktop_app.core import models as m
from desktop_app.core.models import RecordBatch, TelemetryEvent, UsageEvent
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import DailyUsage, activity_on, daily_usage, store_time_zone

DAY = date(2026, 3, 10)
START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


class Day:
    """Builds one developer's events, a minute apart."""

    def __init__(self, developer, editor):
        self.developer, self.editor = developer, editor
        self.usage: list[UsageEvent] = []
        self.telemetry: list[TelemetryEvent] = []

    def _at(self):
        return START + timedelta(minutes=len(self.usage) + len(self.telemetry))

    def request(self, kind, duration, **fields):
        base = {"developer": self.developer, "started_at": self._at(), "method": "POST",
                "host": "api.githubcopilot.com", "path": "/chat/completions", "host_family": "api", "kind": kind,
                "status": 200, "duration_ms": float(duration), "ttfb_ms": None, "request_bytes": 100,
                "response_bytes": 100, "http_version": "HTTP/2.0", "streamed": True, "editor": self.editor}
        base.update(fields)
        self.usage.append(UsageEvent(**base))

    def completion(self, language, duration, lines=None, **fields):
        fields.setdefault("has_text", lines is not None)
        self.request(m.KIND_COMPLETION, duration, host_family="proxy", api="completions", model="gpt-41-copilot",
                     language=language, lines_suggested=lines, **fields)

    def call(self, mode, initiator, interaction, model, duration, **fields):
        api = "messages" if model.startswith("claude") else "chat_completions"
        self.request(m.KIND_MODEL_CALL, duration, mode=mode, initiator=initiator, interaction_id=interaction,
                     model=model, api=fields.pop("api", api), **fields)

    def event(self, name, key="", **fields):
        self.telemetry.append(TelemetryEvent(developer=self.developer, occurred_at=self._at(), event=name,
                                             suggestion_key=key, **fields))

    def batch(self):
        return RecordBatch(usage=tuple(self.usage), telemetry=tuple(self.telemetry))


def alices_day():
    d = Day("alice", "vscode")
    # Completions: three with text, one empty, one speculative, one cancelled, one failed.
    d.completion("python", 200, lines=3)
    d.completion("python", 300, lines=1)
    d.completion("typescript", 400, lines=5)
    d.completion("python", 100)  # empty: requested, not returned
    d.completion("python", 250, lines=2, speculative=True)  # prefetch: not counted, but timed
    d.completion("python", 50, has_text=None, cancelled=True)  # requested, not returned, not timed
    d.completion("go", 120, status=500, error="HTTP 500")  # an error, not requested
    # Ask turn, plus its title generation (conversation-panel with X-Initiator: agent).
    d.call("ask", "user", "i-ask", "gpt-4.1", 1000, prompt_tokens=1000, completion_tokens=200, cached_tokens=100,
           nano_aiu=1_000_000_000)
    d.call("ask", "agent", "i-ask", "gpt-4.1", 500, prompt_tokens=200, completion_tokens=10, nano_aiu=100_000_000)
    # Agent turn: one user call and five tool-loop follow-ups sharing the interaction id.
    for n, initiator in enumerate(["user"] + ["agent"] * 5):
        d.call("agent", initiator, "i-agent", "claude-sonnet-4.6", 2000 + 1000 * n, prompt_tokens=5000,
               completion_tokens=300, cached_tokens=4000, reasoning_tokens=0, nano_aiu=500_000_000)
    d.call("edit", "user", "i-resp", "gpt-5.4", 8000, api="responses", prompt_tokens=3000, completion_tokens=500,
           reasoning_tokens=200, nano_aiu=400_000_000)
    d.call("ask", "user", "i-msg", "claude-sonnet-4.6", 1500, prompt_tokens=2000, completion_tokens=100,
           nano_aiu=200_000_000)
    d.call("cli", "user", "", "gpt-5.4", 2500, api="responses", editor="copilot-cli", prompt_tokens=1000,
           completion_tokens=50, nano_aiu=100_000_000, integration_id="copilot-developer-cli")
    d.call("other", "user", "i-util", "gpt-4.1", 300, prompt_tokens=100, completion_tokens=5)  # utility call
    d.call("extension:acme.helper", "user", "", "gpt-4.1", 900, prompt_tokens=400, completion_tokens=20)
    d.call("agent", "agent", "i-agent", "claude-sonnet-4.6", 100, status=429)  # rate-limited follow-up
    d.request(m.KIND_NES, 600, host_family="proxy", model="copilot-nes-xtab")
    d.request(m.KIND_TELEMETRY, 80, host_family="telemetry", path="/telemetry")
    d.request(m.KIND_INFRA, 70, method="GET", path="/models", initiator="user")  # never an interaction
    # Telemetry: k1 shown twice, k3 shown, k2 shown and accepted in two partial steps.
    for key in ("k1", "k2", "k3", "k1"):
        d.event(m.COMPLETION_SHOWN, key, language="python", lines=3)
    d.event(m.COMPLETION_ACCEPTED, "k1", lines=3, comp_type="full")
    d.event(m.COMPLETION_ACCEPTED, "k2", lines=1, comp_type="partial")
    d.event(m.COMPLETION_ACCEPTED, "k2", lines=2, comp_type="partial")
    for name in (m.CHAT_ACCEPTED_INSERT, m.CHAT_ACCEPTED_COPY, m.CHAT_APPLIED_CODEBLOCK):
        d.event(name)
    d.event(m.NES_SHOWN, "n1")
    d.event(m.NES_ACCEPTED, "n1")
    return d.batch()


def bobs_day():
    d = Day("bob", "JetBrains-IU")
    d.completion("java", 100, lines=2)
    d.completion("java", 200, lines=4)
    d.completion("java", 300)
    d.completion("java", 400, lines=7, speculative=True)
    for n, initiator in enumerate(["user", "agent", "agent"]):  # same interaction id as alice's: no matter
        d.call("agent", initiator, "i-agent", "gpt-5.4", 1000 * (n + 1), api="responses", prompt_tokens=100,
               completion_tokens=10)
    return d.batch()


ALICE = DailyUsage(
    day=DAY, developer="alice", requests=24, completions_requested=5, completions_returned=3, completions_shown=3,
    shown_source="telemetry", completions_accepted=2, acceptance_rate=2 / 3, lines_suggested=9, lines_accepted=5,
    chat_acceptances=3, nes_shown=1, nes_accepted=1, user_interactions=6,
    interactions_by_mode={"ask": 2, "agent": 1, "edit": 1, "cli": 1, "extension:acme.helper": 1},
    agent_requests=7, model_calls=14, models={"gpt-4.1": 4, "claude-sonnet-4.6": 8, "gpt-5.4": 2},
    languages={"python": 4, "typescript": 1}, editors={"vscode": 23, "copilot-cli": 1},
    prompt_tokens=37_700, completion_tokens=2_685, cached_tokens=24_100, reasoning_tokens=200, ai_credits=4.8,
    errors=2, latency_p50_ms=900.0, latency_p95_ms=7000.0, model_call_sources={"proxy": 14}, tools={}, mcp_servers={},
)
BOB = DailyUsage(
    day=DAY, developer="bob", requests=7, completions_requested=3, completions_returned=2, completions_shown=2,
    # Bob's IDE sent no telemetry: what he accepted is unknown, not zero.
    shown_source="proxy", completions_accepted=None, acceptance_rate=None, lines_suggested=6, lines_accepted=None,
    chat_acceptances=None, nes_shown=None, nes_accepted=None, user_interactions=1, interactions_by_mode={"agent": 1},
    agent_requests=2, model_calls=3, models={"gpt-5.4": 3}, languages={"java": 3}, editors={"JetBrains-IU": 7},
    prompt_tokens=300, completion_tokens=30, cached_tokens=0, reasoning_tokens=0, ai_credits=0.0, errors=0,
    latency_p50_ms=400.0, latency_p95_ms=3000.0, model_call_sources={"proxy": 3}, tools={},
    mcp_servers={},
)


@pytest.fixture(params=["raw events", "rollup"])
def conn(request, target):
    """A read connection to the hand-made day, computed from the events or from the summary."""
    with UsageStore.open(target, "UTC") as store:
        store.write_many([alices_day(), bobs_day()])
        store.write(RecordBatch(usage=(replace(bobs_day().usage[0], started_at=START + timedelta(days=1)),)))
        if request.param == "rollup":
            store.refresh_rollups()
        with closing(store.read_connection()) as reader:
            yield reader


def _same(actual, expected):
    assert actual.ai_credits == pytest.approx(expected.ai_credits)
    assert actual.acceptance_rate == (None if expected.acceptance_rate is None
                                      else pytest.approx(expected.acceptance_rate))
    assert replace(actual, ai_credits=0.0, acceptance_rate=None) == replace(expected, ai_credits=0.0,
                                                                           acceptance_rate=None)


def test_hand_made_day_yields_the_expected_figures(conn):
    alice, bob = daily_usage(conn, DAY, DAY)
    _same(alice, ALICE)
    _same(bob, BOB)


def test_results_are_sorted_by_day_then_developer_and_limited_to_the_range(conn):
    result = daily_usage(conn, DAY, DAY + timedelta(days=7))
    assert [(u.day, u.developer) for u in result] == [(DAY, "alice"), (DAY, "bob"), (DAY + timedelta(days=1), "bob")]
    assert daily_usage(conn, DAY + timedelta(days=2), DAY + timedelta(days=9)) == []


def test_developer_filter(conn):
    (bob,) = daily_usage(conn, DAY, DAY, ["bob", "nobody"])
    _same(bob, BOB)
    assert [u.developer for u in daily_usage(conn, DAY, DAY + timedelta(days=1), ["bob"])] == ["bob", "bob"]
    assert daily_usage(conn, DAY, DAY, []) == []


def test_telemetry_only_day_and_keyless_events(target):
    with UsageStore.open(target, "UTC") as store:
        d = Day("carol", "Neovim")
        d.event(m.COMPLETION_SHOWN)
        d.event(m.COMPLETION_SHOWN)  # no suggestion key: each event counts
        d.event(m.COMPLETION_ACCEPTED, lines=4)
        d.event(m.COMPLETION_ACCEPTED, lines=1)
        store.write(d.batch())
        with closing(store.read_connection()) as reader:
            (carol,) = daily_usage(reader, DAY, DAY)
    assert (carol.requests, carol.completions_shown, carol.shown_source) == (0, 2, "telemetry")
    assert (carol.completions_accepted, carol.lines_accepted, carol.acceptance_rate) == (2, 5, 1.0)
    assert (carol.latency_p50_ms, carol.latency_p95_ms, carol.editors) == (None, None, {})


def test_days_follow_the_store_zone(target):
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    d = Day("alice", "vscode")
    d.call("ask", "user", "i1", "gpt-4.1", 1000, started_at=late)
    with UsageStore.open(target, "Europe/Berlin") as store:
        store.write(d.batch())
        with closing(store.read_connection()) as reader:
            assert [u.day for u in daily_usage(reader, date(2026, 3, 1), date(2026, 3, 2))] == [date(2026, 3, 2)]
            assert store_time_zone(reader) == "Europe/Berlin"


def test_activity_on_counts_each_developers_requests_and_last_one(conn):
    alice, bob = alices_day(), bobs_day()
    activity = activity_on(conn, DAY.isoformat())
    assert sorted(activity) == ["alice", "bob"]
    assert activity["alice"].requests == len(alice.usage)
    assert activity["alice"].last_seen == max(e.started_at for e in alice.usage)
    assert activity["bob"].requests == len(bob.usage)
    next_day = activity_on(conn, (DAY + timedelta(days=1)).isoformat())
    assert {name: a.requests for name, a in next_day.items()} == {"bob": 1}
    assert activity_on(conn, "2026-01-01") == {}
