"""Deterministic synthetic Copilot traffic for benchmarks: a team's months of realistic usage.

`generate_batches(spec)` yields one `RecordBatch` per proxied exchange, day by day in time order,
as the live writer would see them: inline completions (speculative, empty, cancelled, failed),
chat turns in every mode (agent loops sharing an interaction id, title-generation helpers, CLI),
NES, telemetry posts, infrastructure calls, plus the telemetry events (shown, full and partial
accepts, chat acceptances) and quota snapshots those exchanges carry. The same spec and seed always
produce the same events, so benchmark figures are comparable across runs and machines.
"""

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count, islice

from desktop_app.core import models as m
from desktop_app.core.models import QuotaSnapshot, RecordBatch, TelemetryEvent, UsageEvent

API_HOST = "api.business.githubcopilot.com"
PROXY_HOST = "proxy.business.githubcopilot.com"
TELEMETRY_HOST = "telemetry.business.githubcopilot.com"

EDITORS = (("vscode", "1.109.0", "copilot-chat", "0.37.2", "vscode-chat", 0.8),
           ("JetBrains-IU", "2025.3", "copilot-intellij", "1.5.60", "jetbrains-chat", 0.15),
           ("Neovim", "0.11.4", "copilot.lua", "1.539.0", "", 0.05))
LANGUAGES = ("python", "typescript", "javascript", "go", "rust", "java", "csharp", "markdown", "yaml", "json")
CHAT_MODELS = (("claude-sonnet-4.6", "messages", 0.35), ("gpt-5.4", "responses", 0.25),
               ("gpt-4.1", "chat_completions", 0.15), ("auto", "chat_completions", 0.15),
               ("gemini-3.1-pro", "chat_completions", 0.1))
COMPLETION_MODELS = ("gpt-41-copilot", "gpt-4o-copilot")
# Activity units and their share of usage events (a turn yields several events).
UNITS = (("completion", 0.5), ("turn", 0.09), ("utility", 0.03), ("nes", 0.12), ("telemetry", 0.1), ("infra", 0.06))
TURN_MODES = (("agent", 0.45), ("ask", 0.28), ("edit", 0.1), ("inline", 0.1), ("cli", 0.07))


@dataclass(frozen=True)
class SyntheticSpec:
    """How much traffic to generate, for whom, over which days."""

    usage_events: int = 1_000_000
    developers: int = 25
    first_day: date = date(2026, 3, 2)
    days: int = 61
    seed: int = 20260301


@dataclass
class _Developer:
    name: str
    activity: float
    editor: tuple[str, str, str, str, str, float]
    languages: list[str]
    utc_start_hour: int
    suggestions: Iterator[int] = field(default_factory=count)


def _weighted[T](rng: random.Random, options: Iterable[tuple[T, float]]) -> T:
    items = list(options)
    return rng.choices([o for o, _ in items], weights=[w for _, w in items])[0]


def _team(rng: random.Random, spec: SyntheticSpec) -> list[_Developer]:
    team = []
    for n in range(spec.developers):
        editor = rng.choices(EDITORS, weights=[e[5] for e in EDITORS])[0]
        team.append(_Developer(f"dev{n:02d}", rng.uniform(0.4, 1.6), editor,
                               rng.sample(LANGUAGES, rng.randint(2, 4)), rng.choice((6, 7, 8, 13, 14))))
    return team


def _allocate(rng: random.Random, spec: SyntheticSpec, team: list[_Developer]) -> dict[tuple[int, int], int]:
    """Split `spec.usage_events` over (day, developer) cells: weekends quiet, some people busier."""
    weights = {}
    for d in range(spec.days):
        weekend = (spec.first_day + timedelta(days=d)).weekday() >= 5
        for i, dev in enumerate(team):
            weights[d, i] = dev.activity * (0.08 if weekend else 1.0) * rng.uniform(0.6, 1.4)
    total = sum(weights.values())
    counts = {cell: int(spec.usage_events * w / total) for cell, w in weights.items()}
    short = spec.usage_events - sum(counts.values())
    for cell in islice(sorted(weights, key=weights.__getitem__, reverse=True), short):
        counts[cell] += 1
    return counts


class _DayWriter:
    """Builds one developer's events for one day (times are filled in afterwards)."""

    def __init__(self, rng: random.Random, dev: _Developer, moments: list[float]) -> None:
        self.rng, self.dev, self.moments = rng, dev, moments
        self.items: list[RecordBatch] = []
        self.at = datetime.fromtimestamp(moments[0], UTC)

    @property
    def full(self) -> bool:
        return len(self.items) >= len(self.moments)

    def usage(self, **fields: object) -> UsageEvent:
        editor, editor_version, plugin, plugin_version, integration, _ = self.dev.editor
        self.at = datetime.fromtimestamp(self.moments[min(len(self.items), len(self.moments) - 1)], UTC)
        base: dict[str, object] = {
            "developer": self.dev.name, "started_at": self.at, "method": "POST",
            "host_family": "api", "status": 200, "duration_ms": self.rng.lognormvariate(6.0, 0.7),
            "ttfb_ms": self.rng.lognormvariate(5.3, 0.5), "request_bytes": self.rng.randint(800, 60_000),
            "response_bytes": self.rng.randint(200, 20_000), "http_version": "HTTP/2.0", "streamed": True,
            "editor": editor, "editor_version": editor_version, "plugin": plugin,
            "plugin_version": plugin_version, "integration_id": integration,
        }
        base.update(fields)
        return UsageEvent(**base)  # type: ignore[arg-type]

    def add(self, event: UsageEvent, telemetry: list[TelemetryEvent] | None = None,
            quotas: list[QuotaSnapshot] | None = None) -> None:
        if not self.full:
            self.items.append(RecordBatch(usage=(event,), telemetry=tuple(telemetry or ()), quotas=tuple(quotas or ())))

    def telemetry(self, event: str, key: str = "", **fields: object) -> TelemetryEvent:
        later = self.at + timedelta(seconds=1 + self.rng.random() * 3)
        return TelemetryEvent(developer=self.dev.name, occurred_at=later,
                              event=event, suggestion_key=key, editor=self.dev.editor[0], **fields)  # type: ignore[arg-type]

    # Units ---------------------------------------------------------------------------------------

    def completion(self) -> None:
        rng = self.rng
        speculative = rng.random() < 0.2
        status = 200 if rng.random() < 0.97 else rng.choice((429, 500, 502))
        cancelled = status == 200 and rng.random() < 0.08
        has_text = None if status != 200 or cancelled else rng.random() < 0.82
        lines = rng.choice((1, 1, 1, 2, 3, 5, 8, 12)) if has_text else None
        language, model = rng.choice(self.dev.languages), rng.choice(COMPLETION_MODELS)
        event = self.usage(host=PROXY_HOST, host_family="proxy", path=f"/v1/engines/{model}/completions",
                           kind=m.KIND_COMPLETION, status=status, duration_ms=rng.lognormvariate(5.6, 0.5),
                           api="completions", intent="copilot-ghost", model=model, language=language,
                           speculative=speculative, has_text=has_text, lines_suggested=lines,
                           cancelled=cancelled, finish_reason="stop" if has_text else "",
                           error=None if status < 400 else f"HTTP {status}")
        self.add(event, self._completion_telemetry(event) if has_text and not speculative else [])

    def _completion_telemetry(self, event: UsageEvent) -> list[TelemetryEvent]:
        rng = self.rng
        if rng.random() > 0.7:
            return []
        key = f"{self.dev.name}-{next(self.dev.suggestions)}:0"
        lines, common = event.lines_suggested or 1, {"language": event.language, "model": event.model}
        out = [self.telemetry(m.COMPLETION_SHOWN, key, chars=lines * 30, lines=lines, **common)]
        roll = rng.random()
        if roll < 0.28:
            out.append(self.telemetry(m.COMPLETION_ACCEPTED, key, chars=lines * 30, lines=lines, comp_type="full",
                                      **common))
        elif roll < 0.35:
            out.extend(self.telemetry(m.COMPLETION_ACCEPTED, key, chars=part * 12, lines=part, comp_type="partial",
                                      **common) for part in range(1, min(lines, 2) + 1))
        return out

    def turn(self) -> None:
        rng = self.rng
        mode = _weighted(rng, TURN_MODES)
        interaction = f"{self.dev.name}-{rng.getrandbits(64):016x}"
        model, api = _weighted(rng, (((name, kind), weight) for name, kind, weight in CHAT_MODELS))
        self.model_call(mode, "user", interaction, model, api)
        follow_ups = int(rng.expovariate(1 / 6)) if mode in {"agent", "cli"} else 0
        for _ in range(follow_ups):
            self.model_call(mode, "agent", interaction, model, api)
        if mode == "ask" and rng.random() < 0.3:  # title generation: conversation-panel, X-Initiator agent
            self.model_call("ask", "agent", interaction, "gpt-4.1", "chat_completions")

    def model_call(self, mode: str, initiator: str, interaction: str, model: str, api: str) -> None:
        rng = self.rng
        prompt = rng.randint(2_000, 90_000)
        cli = mode == "cli"
        event = self.usage(host=API_HOST, path="/v1/messages" if api == "messages" else f"/{api.replace('_', '/')}",
                           kind=m.KIND_MODEL_CALL, duration_ms=rng.lognormvariate(8.3, 0.8), mode=mode, api=api,
                           initiator=initiator, initiator_source="header", interaction_id=interaction,
                           intent=f"conversation-{mode}", model=model, prompt_tokens=prompt,
                           completion_tokens=rng.randint(50, 4_000), cached_tokens=int(prompt * rng.random() * 0.8),
                           reasoning_tokens=rng.choice((None, 0, rng.randint(0, 2_000))),
                           nano_aiu=rng.randint(1_000_000, 400_000_000), finish_reason="stop",
                           editor="copilot-cli" if cli else self.dev.editor[0],
                           integration_id="copilot-developer-cli" if cli else self.dev.editor[4])
        telemetry = []
        if initiator == "user" and mode in {"ask", "inline"} and rng.random() < 0.3:
            telemetry.append(self.telemetry(rng.choice((m.CHAT_ACCEPTED_INSERT, m.CHAT_ACCEPTED_COPY,
                                                        m.CHAT_APPLIED_CODEBLOCK)), model=model))
        quotas = [self._quota()] if initiator == "user" and rng.random() < 0.5 else []
        self.add(event, telemetry, quotas)

    def _quota(self) -> QuotaSnapshot:
        return QuotaSnapshot(developer=self.dev.name, quota="premium_interactions",
                             observed_at=self.at, entitlement=300.0,
                             remaining_percent=round(self.rng.uniform(0, 100), 1), overage=0.0,
                             overage_permitted=False, reset_at="2026-06-01T00:00:00Z")

    def utility(self) -> None:
        initiator = "user" if self.rng.random() < 0.3 else "agent"
        self.model_call("other", initiator, f"{self.dev.name}-{self.rng.getrandbits(64):016x}", "gpt-4.1",
                        "chat_completions")

    def nes(self) -> None:
        rng = self.rng
        event = self.usage(host=PROXY_HOST, host_family="proxy", path="/chat/completions", kind=m.KIND_NES,
                           model="copilot-nes-xtab", api="chat_completions", intent="conversation-other",
                           duration_ms=rng.lognormvariate(6.2, 0.5), language=rng.choice(self.dev.languages))
        telemetry = []
        if rng.random() < 0.4:
            key = f"{self.dev.name}-nes-{next(self.dev.suggestions)}"
            telemetry.append(self.telemetry(m.NES_SHOWN, key))
            if rng.random() < 0.25:
                telemetry.append(self.telemetry(m.NES_ACCEPTED, key))
        self.add(event, telemetry)

    def telemetry_post(self) -> None:
        self.add(self.usage(host=TELEMETRY_HOST, host_family="telemetry", path="/telemetry", kind=m.KIND_TELEMETRY,
                            streamed=False, duration_ms=self.rng.lognormvariate(4.5, 0.4), response_bytes=62))

    def infra(self) -> None:
        path = self.rng.choice(("/models", "/_ping", "/models/session", "/embeddings"))
        self.add(self.usage(host=API_HOST, method="GET", path=path, kind=m.KIND_INFRA, streamed=False,
                            duration_ms=self.rng.lognormvariate(4.8, 0.4)))


def _dev_day(rng: random.Random, dev: _Developer, day: date, events: int) -> list[RecordBatch]:
    """Return `events` exchanges (usage event plus its telemetry and quotas) for one developer and day."""
    if events == 0:
        return []
    start = datetime(day.year, day.month, day.day, dev.utc_start_hour, tzinfo=UTC).timestamp()
    writer = _DayWriter(rng, dev, sorted(start + rng.uniform(0, 10 * 3600) for _ in range(events)))
    units = {"completion": writer.completion, "turn": writer.turn, "utility": writer.utility,
             "nes": writer.nes, "telemetry": writer.telemetry_post, "infra": writer.infra}
    while not writer.full:
        units[_weighted(rng, UNITS)]()
    return writer.items


def generate_batches(spec: SyntheticSpec = SyntheticSpec()) -> Iterator[RecordBatch]:
    """Yield one batch per exchange, day by day, each day's exchanges in time order."""
    rng = random.Random(spec.seed)
    team = _team(rng, spec)
    counts = _allocate(rng, spec, team)
    for d in range(spec.days):
        day = spec.first_day + timedelta(days=d)
        batches = [b for i, dev in enumerate(team) for b in _dev_day(rng, dev, day, counts[d, i])]
        batches.sort(key=lambda b: b.usage[0].started_at)
        yield from batches


def chunked[T](items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Yield lists of up to `size` consecutive items."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
