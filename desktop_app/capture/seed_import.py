"""Imports a log tree written by the seed script (`satomic/copilot-proxy-insight-of-every-user`).

The seed wrote one JSON file per request under `usage/<user>/<kind>/` and one summary per day
under `metrics/copilot-usage_<day>.json`. Request files go through the same classification and
stream parsing as live traffic. A day's summary is imported only for developers who have no
request files that day (someone who kept the summaries but deleted the logs). Every record
carries a stable `source_id`, so importing the same tree twice adds nothing. The developer is
the folder name; the `proxy-authorization` value (which may hold a password) is never read.
"""

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path

from desktop_app.capture.analysis import analysed_fields
from desktop_app.capture.classify import RequestFacts, classify
from desktop_app.capture.responses import ResponseFacts, parse_response
from desktop_app.core import models as m
from desktop_app.core.store.database import UsageStore

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
BATCH = 500


@dataclass
class ImportResult:
    """What an import did."""

    files: int = 0
    requests: int = 0
    summaries: int = 0
    skipped: list[str] = field(default_factory=list)  # "path: why"


def _local(stamp: str, zone: tzinfo | None) -> datetime:
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:  # the seed wrote the server's local wall time
        moment = moment.replace(tzinfo=zone) if zone else moment.astimezone()
    return moment.astimezone(UTC)


def _milliseconds(text: object) -> float:
    try:
        return float(str(text).removesuffix("ms"))
    except ValueError:
        return 0.0


def _sse_body(chunks: object) -> bytes:
    if not isinstance(chunks, list):
        return json.dumps(chunks).encode() if chunks else b""
    events = [b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks if isinstance(c, dict)]
    return b"".join(events) + b"data: [DONE]\n\n"


def _response(api: str, response: dict[str, object]) -> ResponseFacts:
    body = _sse_body(response.get("content"))
    return parse_response(api, "text/event-stream", body) if body else ResponseFacts()


def usage_from_seed_file(document: dict[str, object], developer: str, source_id: str,
                         zone: tzinfo | None) -> m.UsageEvent:
    """Build the `UsageEvent` of one seed request file."""
    request = document.get("request")
    response = document.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        raise TypeError("no request/response objects")
    url = str(request.get("url", ""))
    host, _, path = url.removeprefix("https://").removeprefix("http://").partition("/")
    raw_headers = request.get("headers")
    headers = {str(k).lower(): str(v) for k, v in raw_headers.items()} if isinstance(raw_headers, dict) else {}
    c = classify(RequestFacts(host, str(request.get("method", "POST")), "/" + path.split("?", 1)[0], headers,
                              request.get("content")))
    facts = _response(c.api, response)
    status = response.get("status_code")
    code = status if isinstance(status, int) else None
    return m.UsageEvent(
        developer=developer, started_at=_local(str(document.get("timestamp")), zone), method=str(request.get("method")),
        host=host, path="/" + path.split("?", 1)[0], status=code,
        duration_ms=_milliseconds(document.get("proxy-time-consumed")),
        ttfb_ms=None, request_bytes=len(json.dumps(request.get("content"))), response_bytes=0, http_version="",
        streamed=True, parse_status=facts.parse_status, source_id=source_id, **analysed_fields(c, facts, code),
    )


def _stand_in(developer: str, at: datetime, kind: str, editor: str, source_id: str, *,
              language: str = "") -> m.UsageEvent:
    chat = kind == m.KIND_MODEL_CALL
    return m.UsageEvent(
        developer=developer, started_at=at, method="POST",
        host="api.githubcopilot.com" if chat else "copilot-proxy.githubusercontent.com",
        path="/chat/completions" if chat else "/v1/engines/copilot/completions", host_family="api" if chat else "proxy",
        kind=kind, status=200, duration_ms=0.0, ttfb_ms=None, request_bytes=0, response_bytes=0, http_version="",
        streamed=False, api="chat_completions" if chat else "completions", mode="ask" if chat else "",
        initiator="user" if chat else "", initiator_source="heuristic" if chat else "", language=language,
        interaction_id=source_id if chat else "",  # each summarised chat turn is its own interaction
        editor=editor.split("-", maxsplit=1)[0].lower(), has_text=None if chat else True, parse_status="summary",
        source_id=source_id)


def _counts(value: object) -> dict[str, object]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _summary_events(summary: dict[str, object], day: date, developer: str, zone: tzinfo | None) -> list[m.UsageEvent]:
    """Stand-in events for one developer's day in a seed metrics file (chat turns, completions)."""
    noon = datetime.combine(day, time(12), tzinfo=zone).astimezone(UTC)  # tzinfo None: local time
    source = f"seed-metrics:{day.isoformat()}:{developer}"
    events = [_stand_in(developer, noon, m.KIND_MODEL_CALL, editor, f"{source}:chat:{editor}:{i}")
              for editor, count in _counts(summary.get("chat")).items() for i in range(int(str(count)))]
    for editor, languages in _counts(summary.get("completions")).items():
        events += [_stand_in(developer, noon, m.KIND_COMPLETION, editor, f"{source}:completion:{editor}:{lang}:{i}",
                             language=lang)
                   for lang, count in _counts(languages).items() for i in range(int(str(count)))]
    return events


def _request_files(root: Path) -> Iterator[tuple[Path, str]]:
    usage = root / "usage" if (root / "usage").is_dir() else root
    for user_dir in sorted(p for p in usage.iterdir() if p.is_dir()) if usage.is_dir() else ():
        for path in sorted(user_dir.glob("*/*.json")):
            yield path, user_dir.name


def _metrics_files(root: Path) -> list[Path]:
    return sorted((root / "metrics").glob("copilot-usage_*.json")) if (root / "metrics").is_dir() else []


class SeedImporter:
    """Reads a seed tree into a store, in batches, reporting progress."""

    def __init__(self, store: UsageStore, progress: Progress | None = None) -> None:
        """Import into `store`; the seed's naive timestamps are read in the store's time zone."""
        self._store, self._zone, self._progress = store, store.zone.tz, progress
        self._batch: list[m.UsageEvent] = []
        self.result = ImportResult()

    def run(self, root: Path) -> ImportResult:
        """Import every request file, then the summaries of days without request files."""
        if not root.is_dir():
            raise FileNotFoundError(f"{root} is not a folder")
        files = list(_request_files(root))
        metrics = _metrics_files(root)
        total = len(files) + len(metrics)
        covered: set[tuple[str, str]] = set()
        for done, (path, developer) in enumerate(files, 1):
            self._import_file(root, path, developer, covered)
            self._report(done, total)
        for done, path in enumerate(metrics, len(files) + 1):
            self._import_summary(path, covered)
            self._report(done, total)
        self._flush()
        return self.result

    def _report(self, done: int, total: int) -> None:
        if len(self._batch) >= BATCH:
            self._flush()
        if self._progress is not None:
            self._progress(done, total)

    def _import_file(self, root: Path, path: Path, developer: str, covered: set[tuple[str, str]]) -> None:
        self.result.files += 1
        source_id = "seed:" + path.relative_to(root).as_posix()
        try:
            document = json.loads(path.read_bytes())
            event = usage_from_seed_file(document, developer, source_id, self._zone)
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            self.result.skipped.append(f"{path}: {exc}")
            return
        covered.add((developer, self._store.zone.day_of(event.started_at.timestamp())))
        self._batch.append(event)
        self.result.requests += 1

    def _import_summary(self, path: Path, covered: set[tuple[str, str]]) -> None:
        self.result.files += 1
        try:
            document = json.loads(path.read_bytes())
            day = date.fromisoformat(str(document["day"]))
            usage = document["usage"]
            for developer, summary in usage.items():
                if (developer, day.isoformat()) not in covered and isinstance(summary, dict):
                    self._batch += _summary_events(summary, day, developer, self._zone)
                    self.result.summaries += 1
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            self.result.skipped.append(f"{path}: {exc}")

    def _flush(self) -> None:
        if self._batch:
            self._store.write(m.RecordBatch(usage=tuple(self._batch)))
            self._batch = []
