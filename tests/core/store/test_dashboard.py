"""The dashboard's figures: preset ranges, summary cards, breakdowns, the daily series, and a real store."""

from contextlib import closing
from datetime import UTC, date, datetime, timedelta

import pytest

from desktop_app.core import models as m
from desktop_app.core.models import QuotaSnapshot, RecordBatch, TelemetryEvent, UsageEvent
from desktop_app.core.store.dashboard import (
    MAX_RANGE_DAYS,
    DailySeries,
    DashboardData,
    DashboardQuery,
    DayRange,
    RangePreset,
    Summary,
    breakdown,
    daily_series,
    load_dashboard,
    load_dashboard_file,
    preset_range,
    summarize,
)
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import DailyUsage

# --- ranges ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("preset", "today", "first", "last"), [
    (RangePreset.TODAY, date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 1)),
    (RangePreset.LAST_7_DAYS, date(2026, 3, 1), date(2026, 2, 23), date(2026, 3, 1)),
    (RangePreset.LAST_7_DAYS, date(2024, 3, 3), date(2024, 2, 26), date(2024, 3, 3)),  # across Feb 29
    (RangePreset.LAST_30_DAYS, date(2026, 3, 1), date(2026, 1, 31), date(2026, 3, 1)),
    (RangePreset.LAST_30_DAYS, date(2024, 3, 1), date(2024, 2, 1), date(2024, 3, 1)),  # 29-day February
    (RangePreset.THIS_MONTH, date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 1)),
    (RangePreset.THIS_MONTH, date(2026, 3, 17), date(2026, 3, 1), date(2026, 3, 17)),
    (RangePreset.LAST_MONTH, date(2026, 3, 1), date(2026, 2, 1), date(2026, 2, 28)),
    (RangePreset.LAST_MONTH, date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
    (RangePreset.LAST_MONTH, date(2024, 3, 15), date(2024, 2, 1), date(2024, 2, 29)),  # leap year
    (RangePreset.LAST_MONTH, date(2026, 1, 1), date(2025, 12, 1), date(2025, 12, 31)),  # previous year
    (RangePreset.LAST_MONTH, date(2026, 1, 20), date(2025, 12, 1), date(2025, 12, 31)),
    (RangePreset.LAST_MONTH, date(2026, 5, 31), date(2026, 4, 1), date(2026, 4, 30)),
])
def test_preset_ranges(preset, today, first, last):
    assert preset_range(preset, today) == DayRange(first, last)


def test_preset_lengths():
    today = date(2026, 3, 1)
    assert preset_range(RangePreset.TODAY, today).length == 1
    assert preset_range(RangePreset.LAST_7_DAYS, today).length == 7
    assert preset_range(RangePreset.LAST_30_DAYS, today).length == 30
    assert preset_range(RangePreset.LAST_MONTH, today).length == 28
    assert preset_range(RangePreset.LAST_MONTH, date(2024, 3, 1)).length == 29
    assert preset_range(RangePreset.LAST_MONTH, date(2026, 1, 1)).length == 31


def test_custom_preset_returns_the_given_range_or_today_alone():
    today = date(2026, 3, 1)
    custom = DayRange(date(2025, 11, 3), date(2026, 1, 4))
    assert preset_range(RangePreset.CUSTOM, today, custom) is custom
    assert preset_range(RangePreset.CUSTOM, today) == DayRange(today, today)
    # Presets other than CUSTOM ignore a custom range.
    assert preset_range(RangePreset.TODAY, today, custom) == DayRange(today, today)


def test_preset_values_are_the_stored_strings():
    assert [p.value for p in RangePreset] == ["today", "7d", "30d", "this_month", "last_month", "custom"]
    assert RangePreset("30d") is RangePreset.LAST_30_DAYS


def test_day_range_length_and_days():
    days = DayRange(date(2024, 2, 27), date(2024, 3, 1))
    assert days.length == 4
    assert days.days() == [date(2024, 2, 27), date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]
    single = DayRange(date(2026, 3, 1), date(2026, 3, 1))
    assert (single.length, single.days()) == (1, [date(2026, 3, 1)])


def test_day_range_refuses_an_inverted_range():
    with pytest.raises(ValueError, match=r"^The range ends \(2026-03-01\) before it starts \(2026-03-02\)\.$"):
        DayRange(date(2026, 3, 2), date(2026, 3, 1))


def test_day_range_refuses_more_than_the_maximum():
    assert MAX_RANGE_DAYS == 1098
    first = date(2023, 1, 1)
    longest = DayRange(first, first + timedelta(days=MAX_RANGE_DAYS - 1))
    assert longest.length == MAX_RANGE_DAYS
    with pytest.raises(ValueError, match=r"^The range is 1099 days long; choose at most 1098 days\.$"):
        DayRange(first, first + timedelta(days=MAX_RANGE_DAYS))


# --- pure arithmetic ---------------------------------------------------------------------------------

D1, D2, D3 = date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 11)


def usage(day, developer, **fields):
    """A DailyUsage with every figure zero unless given."""
    base = {
        "day": day, "developer": developer, "requests": 0, "completions_requested": 0, "completions_returned": 0,
        "completions_shown": 0, "shown_source": "proxy", "completions_accepted": 0, "acceptance_rate": None,
        "lines_suggested": 0, "lines_accepted": 0, "chat_acceptances": 0, "nes_shown": 0, "nes_accepted": 0,
        "user_interactions": 0, "interactions_by_mode": {}, "agent_requests": 0, "model_calls": 0, "models": {},
        "languages": {}, "editors": {}, "prompt_tokens": 0, "completion_tokens": 0, "cached_tokens": 0,
        "reasoning_tokens": 0, "ai_credits": 0.0, "errors": 0, "latency_p50_ms": None, "latency_p95_ms": None,
        "model_call_sources": {}, "tools": {}, "mcp_servers": {},
    }
    base.update(fields)
    return DailyUsage(**base)


def test_summarize_adds_up_the_rows():
    rows = [
        usage(D1, "alice", requests=10, completions_shown=4, completions_accepted=1, acceptance_rate=0.25,
              user_interactions=3, agent_requests=5, prompt_tokens=1000, completion_tokens=200, ai_credits=1.5,
              errors=1),
        usage(D2, "alice", requests=5, user_interactions=1, agent_requests=2, prompt_tokens=300,
              completion_tokens=20, ai_credits=0.25),
        # Telemetry only: shown and accepted count, but bob sent no request, so he is not active.
        usage(D1, "bob", completions_shown=2, completions_accepted=2, acceptance_rate=1.0, errors=2),
    ]
    assert summarize(iter(rows)) == Summary(
        active_developers=1, requests=15, completions_shown=6, completions_accepted=3,
        acceptance_rate=0.5,  # 3 / 6 over all rows, not the mean of the per-row rates (0.625)
        lines_accepted=0, user_interactions=4, agent_requests=7, prompt_tokens=1300, completion_tokens=220,
        ai_credits=1.75, errors=3, developer_days=3, telemetry_days=3,
    )
    assert summarize(rows).tokens == 1520
    assert summarize(rows).acceptance_note == ""


def test_acceptance_counts_only_the_days_telemetry_covered():
    rows = [
        usage(D1, "alice", requests=10, completions_shown=10, shown_source="telemetry", completions_accepted=4,
              acceptance_rate=0.4, lines_accepted=8),
        # No telemetry: the proxy's 30 suggestions count as shown, but what was accepted is unknown.
        usage(D1, "bob", requests=40, completions_shown=30, completions_accepted=None, lines_accepted=None,
              chat_acceptances=None, nes_shown=None, nes_accepted=None),
    ]
    summary = summarize(rows)
    assert (summary.completions_shown, summary.completions_accepted, summary.lines_accepted) == (40, 4, 8)
    assert summary.acceptance_rate == pytest.approx(0.4)  # 4 / 10, not 4 / 40
    assert (summary.developer_days, summary.telemetry_days) == (2, 1)
    assert "1 of 2 developer-days" in summary.acceptance_note

    unknown = summarize(rows[1:])
    assert (unknown.completions_accepted, unknown.acceptance_rate, unknown.lines_accepted) == (None, None, None)
    assert "cannot be known" in unknown.acceptance_note


def test_summarize_counts_each_active_developer_once():
    rows = [usage(D1, "alice", requests=1), usage(D2, "alice", requests=2), usage(D1, "bob", requests=1),
            usage(D2, "carol")]
    assert summarize(rows).active_developers == 2


def test_acceptance_rate_is_none_when_nothing_was_shown():
    summary = summarize([usage(D1, "alice", requests=3), usage(D2, "bob", requests=1)])
    assert summary.acceptance_rate is None
    assert (summary.completions_shown, summary.completions_accepted) == (0, 0)


def test_summarize_nothing():
    assert summarize([]) == Summary()
    assert Summary().acceptance_rate is None
    assert Summary().tokens == 0


def test_breakdown_sums_days_sorts_by_count_then_name_and_names_the_unknown():
    days = [
        {"gpt-4.1": 2, "claude-sonnet-4.6": 1, "zeta": 1},
        {"claude-sonnet-4.6": 3, "gpt-4.1": 0, "": 1, "never": 0},
        {"o3": 2, "never": 0},
    ]
    assert breakdown(days) == (("claude-sonnet-4.6", 4), ("gpt-4.1", 2), ("o3", 2), ("(unknown)", 1), ("zeta", 1))


def test_breakdown_of_nothing_is_empty():
    assert breakdown([]) == ()
    assert breakdown([{}, {"idle": 0}]) == ()


def test_breakdown_ties_are_ordered_by_name():
    assert breakdown([{"b": 2, "c": 2}, {"a": 2}]) == (("a", 2), ("b", 2), ("c", 2))


def test_daily_series_fills_quiet_days_and_orders_the_busiest_first():
    days = DayRange(D1, D3)
    rows = [
        usage(D1 - timedelta(days=1), "carol", requests=100),  # before the range
        usage(D1, "alice", requests=2),
        usage(D2, "bob", requests=9),
        usage(D3, "alice", requests=5),
        usage(D3 + timedelta(days=1), "carol", requests=100),  # after the range
    ]
    series = daily_series(rows, days)
    assert series == DailySeries(days=(D1, D2, D3), developers=("bob", "alice"), values=((0, 9, 0), (2, 0, 5)))
    assert not series.empty


def test_daily_series_ties_are_ordered_by_name():
    rows = [usage(D1, "zoe", requests=3), usage(D2, "adam", requests=1), usage(D3, "adam", requests=2)]
    series = daily_series(rows, DayRange(D1, D3))
    assert series.developers == ("adam", "zoe")
    assert series.values == ((0, 1, 2), (3, 0, 0))


def test_daily_series_without_traffic_is_empty():
    series = daily_series([], DayRange(D1, D2))
    assert series == DailySeries((D1, D2), (), ())
    assert series.empty
    assert daily_series([usage(D1, "carol")], DayRange(D1, D2)).empty  # telemetry only: no request to draw


def test_an_empty_dashboard():
    query = DashboardQuery(DayRange(D1, D3))
    data = DashboardData(query)
    assert not data.ever_recorded
    assert (data.rows, data.summary, data.quotas, data.modes) == ((), Summary(), (), ())
    assert data.daily.empty


# --- on a real store -------------------------------------------------------------------------------------

OBSERVED = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
ALICE_QUOTA = QuotaSnapshot("alice", "premium_interactions", OBSERVED, entitlement=300.0, remaining_percent=80.0,
                            overage=0.0, overage_permitted=False, reset_at="2026-04-01T00:00:00Z")
BOB_QUOTA = QuotaSnapshot("bob", "premium_interactions", OBSERVED + timedelta(minutes=5), entitlement=-1.0,
                          remaining_percent=25.5, overage=2.0, overage_permitted=True, reset_at="2026-04-01T00:00:00Z")


def event(developer, at, kind, editor, **fields):
    base = {"developer": developer, "started_at": at, "method": "POST", "host": "api.githubcopilot.com",
            "path": "/chat/completions", "host_family": "api", "kind": kind, "status": 200, "duration_ms": 500.0,
            "ttfb_ms": None, "request_bytes": 100, "response_bytes": 100, "http_version": "HTTP/2.0",
            "streamed": True, "editor": editor}
    base.update(fields)
    return UsageEvent(**base)


def completion(developer, at, editor, language, **fields):
    fields.setdefault("has_text", True)
    return event(developer, at, m.KIND_COMPLETION, editor, host="proxy.individual.githubcopilot.com",
                 path="/v1/engines/gpt-41-copilot/completions", host_family="proxy", api="completions",
                 model="gpt-41-copilot", language=language, **fields)


def call(developer, at, editor, mode, initiator, interaction, model, **fields):
    return event(developer, at, m.KIND_MODEL_CALL, editor, mode=mode, initiator=initiator,
                 interaction_id=interaction, model=model, api="chat_completions", **fields)


def at(day, hour, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def alices_batches():
    usage_events = (
        completion("alice", at(D1, 9, 0), "vscode", "python", lines_suggested=3),
        completion("alice", at(D1, 9, 1), "vscode", "python", lines_suggested=1),
        call("alice", at(D1, 9, 2), "vscode", "ask", "user", "a-ask", "gpt-4.1", prompt_tokens=100,
             completion_tokens=20, nano_aiu=1_000_000_000),
        call("alice", at(D2, 10, 0), "vscode", "agent", "user", "a-agent", "claude-sonnet-4.6", prompt_tokens=1000,
             completion_tokens=50, nano_aiu=500_000_000),
        *(call("alice", at(D2, 10, n), "vscode", "agent", "agent", "a-agent", "claude-sonnet-4.6",
               prompt_tokens=1000, completion_tokens=50, nano_aiu=500_000_000) for n in (1, 2)),
    )
    telemetry = (
        TelemetryEvent("alice", at(D1, 9, 3), m.COMPLETION_SHOWN, "k1", language="python"),
        TelemetryEvent("alice", at(D1, 9, 4), m.COMPLETION_SHOWN, "k2", language="python"),
        TelemetryEvent("alice", at(D1, 9, 5), m.COMPLETION_ACCEPTED, "k1", lines=3, comp_type="full"),
    )
    return [RecordBatch(usage=usage_events[:3], telemetry=telemetry), RecordBatch(usage=usage_events[3:])]


def bobs_batches():
    return [
        RecordBatch(usage=(completion("bob", at(D1 - timedelta(days=1), 12), "JetBrains-IU", "java"),)),  # outside
        RecordBatch(usage=(
            completion("bob", at(D2, 11, 0), "JetBrains-IU", "java", lines_suggested=2),
            completion("bob", at(D2, 11, 1), "JetBrains-IU", "java", status=500, error="HTTP 500", has_text=None),
        )),
        RecordBatch(usage=(call("bob", at(D3, 8), "", "ask", "user", "", "gpt-5.4", prompt_tokens=10,
                                completion_tokens=5),)),
    ]


@pytest.fixture(params=["raw events", "rollup"])
def database(request, target):
    """A store with alice (days 1-2) and bob (days 0, 2, 3), and a quota snapshot each."""
    path = target
    with UsageStore.open(path, "UTC") as store:
        store.write_many([*alices_batches(), *bobs_batches()])
        store.write(RecordBatch(quotas=(ALICE_QUOTA, BOB_QUOTA)))
        if request.param == "rollup":
            store.refresh_rollups()
    return path


@pytest.fixture
def conn(database):
    with closing(UsageStore.reader(database)) as reader:
        yield reader


EVERYONE = DashboardQuery(DayRange(D1, D3))
ONLY_ALICE = DashboardQuery(DayRange(D1, D3), developers=("alice",))


def test_load_dashboard_rows(conn):
    data = load_dashboard(conn, EVERYONE)
    assert data.query == EVERYONE
    assert [(r.day, r.developer, r.requests) for r in data.rows] == [
        (D1, "alice", 3), (D2, "alice", 3), (D2, "bob", 2), (D3, "bob", 1),
    ]
    a1, a2, b2, b3 = data.rows
    assert (a1.completions_shown, a1.shown_source, a1.completions_accepted) == (2, "telemetry", 1)
    assert (a2.user_interactions, a2.agent_requests, a2.model_calls) == (1, 2, 3)
    assert (b2.completions_shown, b2.shown_source, b2.errors) == (1, "proxy", 1)
    assert (b3.user_interactions, b3.editors) == (1, {"": 1})


def test_load_dashboard_summary_and_charts(conn):
    data = load_dashboard(conn, EVERYONE)
    assert data.summary.ai_credits == pytest.approx(2.5)
    assert data.summary.acceptance_rate == pytest.approx(1 / 2)  # only alice's first day had telemetry
    assert data.summary == Summary(
        active_developers=2, requests=9, completions_shown=3, completions_accepted=1,
        acceptance_rate=data.summary.acceptance_rate, lines_accepted=3, user_interactions=3, agent_requests=2,
        prompt_tokens=3110, completion_tokens=175, ai_credits=data.summary.ai_credits, errors=1,
        developer_days=4, telemetry_days=1,
    )
    assert data.summary.tokens == 3285
    assert data.daily == DailySeries((D1, D2, D3), ("alice", "bob"), ((3, 3, 0), (0, 2, 1)))
    assert data.modes == (("ask", 2), ("agent", 1))
    assert data.models == (("claude-sonnet-4.6", 3), ("gpt-4.1", 1), ("gpt-5.4", 1))
    assert data.languages == (("python", 2), ("java", 1))
    assert data.editors == (("vscode", 6), ("JetBrains-IU", 2), ("(unknown)", 1))
    assert data.quotas == (ALICE_QUOTA, BOB_QUOTA)
    assert data.developers_known == ("alice", "bob")
    assert data.ever_recorded


def test_the_developer_filter(conn):
    data = load_dashboard(conn, ONLY_ALICE)
    assert [(r.day, r.developer) for r in data.rows] == [(D1, "alice"), (D2, "alice")]
    assert data.summary.acceptance_rate == pytest.approx(0.5)
    assert data.summary.ai_credits == pytest.approx(2.5)
    assert data.summary == Summary(
        active_developers=1, requests=6, completions_shown=2, completions_accepted=1,
        acceptance_rate=data.summary.acceptance_rate, lines_accepted=3, user_interactions=2, agent_requests=2,
        prompt_tokens=3100, completion_tokens=170, ai_credits=data.summary.ai_credits, errors=0,
        developer_days=2, telemetry_days=1,
    )
    assert data.daily == DailySeries((D1, D2, D3), ("alice",), ((3, 3, 0),))
    assert data.editors == (("vscode", 6),)
    assert data.languages == (("python", 2),)
    assert data.quotas == (ALICE_QUOTA,)
    assert data.developers_known == ("alice", "bob")  # the filter's choices do not depend on the filter
    assert data.ever_recorded


def test_filtering_on_nobody_shows_nothing(conn):
    data = load_dashboard(conn, DashboardQuery(DayRange(D1, D3), developers=()))
    assert (data.rows, data.quotas, data.summary) == ((), (), Summary())
    assert data.developers_known == ("alice", "bob")


def test_a_range_without_traffic(conn):
    later = DayRange(date(2026, 4, 1), date(2026, 4, 3))
    data = load_dashboard(conn, DashboardQuery(later))
    assert data.rows == ()
    assert data.summary == Summary()
    assert data.daily == DailySeries(tuple(later.days()), (), ())
    assert data.quotas == (ALICE_QUOTA, BOB_QUOTA)  # quotas are the latest, whatever the range
    assert data.ever_recorded


def test_the_day_before_the_range_counts_when_included(conn):
    data = load_dashboard(conn, DashboardQuery(DayRange(D1 - timedelta(days=1), D1), developers=("bob",)))
    assert [(r.day, r.developer, r.requests) for r in data.rows] == [(D1 - timedelta(days=1), "bob", 1)]
    assert data.daily.values == ((1, 0),)


def test_load_dashboard_file_reads_the_store(database):
    data = load_dashboard_file(database, ONLY_ALICE)
    assert [(r.day, r.developer, r.requests) for r in data.rows] == [(D1, "alice", 3), (D2, "alice", 3)]
    assert data.quotas == (ALICE_QUOTA,)
    assert data.developers_known == ("alice", "bob")


def test_a_store_without_traffic_was_never_recorded(target):
    path = target
    with UsageStore.open(path, "UTC") as store:
        store.write(RecordBatch(quotas=(ALICE_QUOTA,)))  # quotas alone are not traffic
    data = load_dashboard_file(path, EVERYONE)
    assert not data.ever_recorded
    assert data.rows == ()
    assert data.quotas == (ALICE_QUOTA,)
    assert data.daily == DailySeries((D1, D2, D3), (), ())


def test_load_dashboard_file_on_a_missing_file_is_empty_and_creates_nothing(tmp_path):
    path = tmp_path / "data" / "usage.sqlite3"
    data = load_dashboard_file(path, EVERYONE)
    assert data == DashboardData(EVERYONE)
    assert not data.ever_recorded
    assert (data.rows, data.quotas, data.developers_known, data.summary) == ((), (), (), Summary())
    assert not path.exists()
    assert not path.parent.exists()


def test_one_day_charts_requests_by_hour(conn):
    data = load_dashboard(conn, DashboardQuery(DayRange(D2, D2)))
    assert data.daily.hours == tuple(range(24)) and data.daily.days == (D2,)
    assert data.daily.developers == ("alice", "bob")
    alice, bob = data.daily.values
    assert (alice[10], bob[11], sum(alice) + sum(bob)) == (3, 2, 5)
    assert data.daily.slot_label(11) == f"{D2.isoformat()} 11:00"


def test_the_errors_card_opens_failures_by_status_host_and_developer(conn):
    data = load_dashboard(conn, EVERYONE)
    (failure,) = data.errors
    assert (failure.status, failure.error, failure.host, failure.developer, failure.count) == (
        500, "HTTP 500", "proxy.individual.githubcopilot.com", "bob", 1)
    assert "upstream" in failure.cause
    assert load_dashboard(conn, ONLY_ALICE).errors == ()


def test_the_per_developer_table_adds_up_each_developers_days(conn):
    data = load_dashboard(conn, EVERYONE)
    alice, bob = data.developers
    assert (alice.developer, alice.active_days, alice.last_active, alice.trend) == ("alice", 2, D2, (3, 3, 0))
    assert (bob.developer, bob.active_days, bob.last_active, bob.trend) == ("bob", 2, D3, (0, 2, 1))
    assert alice.summary == summarize(r for r in data.rows if r.developer == "alice")
    assert bob.value("completions_accepted") is None  # bob's IDE sent no telemetry
    assert sum(d.summary.requests for d in data.developers) == data.summary.requests
