"""The recorded prompts a report may include: the newest of the period, across the chosen developers.

Prompts are the user-initiated model calls whose content was recorded (content recording on, within
its retention). Each developer's content folder is listed once per report (`ContentFolders`) rather
than searched per request. A content file that cannot be read is skipped and counted, never the end of the export.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from desktop_app.core.errors import AppError
from desktop_app.core.models import KIND_MODEL_CALL
from desktop_app.core.store.content_view import ContentIndex, read_conversation
from desktop_app.core.store.dashboard import DayRange
from desktop_app.core.store.engine import Connection
from desktop_app.core.store.queries import reading_store
from desktop_app.core.store.rollup import INITIATOR_USER
from desktop_app.core.store.schema import placeholders

logger = logging.getLogger(__name__)

MAX_PROMPTS: Final = 2000
"""The most prompts one report includes: the period's newest."""
_MAX_CANDIDATES: Final = 50_000
"""The most user-initiated calls looked at (newest first) to find them."""


@dataclass(frozen=True)
class PromptEntry:
    """A prompt a developer sent and what Copilot answered (as recorded: already redacted)."""

    developer: str
    started_at: datetime  # UTC
    mode: str
    model: str
    prompt: str
    response: str


@dataclass(frozen=True)
class PromptSelection:
    """The prompts found, oldest first per developer; whether older ones were left out; files unreadable."""

    entries: tuple[PromptEntry, ...] = ()
    truncated: bool = False
    unreadable: int = 0


def _candidates(conn: Connection, days: DayRange, developers: Sequence[str]) -> list[tuple[object, ...]]:
    if not developers:  # `IN ()` is SQLite's leniency, not SQL
        return []
    who = placeholders(len(developers))
    sql = ("SELECT developer, started_at, mode, model FROM usage_events "  # noqa: S608 - placeholders only
           f"WHERE day >= ? AND day <= ? AND kind = ? AND initiator = ? AND developer IN ({who}) "
           "ORDER BY started_at DESC LIMIT ?")
    params = (days.first.isoformat(), days.last.isoformat(), KIND_MODEL_CALL, INITIATOR_USER, *developers,
              _MAX_CANDIDATES)
    with reading_store():
        return conn.execute(sql, params).fetchall()


class ContentFolders:
    """The developers' content folders under one root, each listed at most once per report."""

    def __init__(self, root: Path) -> None:
        """Nothing is listed until a developer's folder is first needed."""
        self.root = root
        self._indexes: dict[str, ContentIndex] = {}

    def of(self, developer: str) -> ContentIndex:
        """`developer`'s content files."""
        if developer not in self._indexes:
            self._indexes[developer] = ContentIndex(self.root, developer)
        return self._indexes[developer]


def read_prompts(conn: Connection, folders: ContentFolders, days: DayRange,
                 developers: Sequence[str]) -> PromptSelection:
    """The newest `MAX_PROMPTS` recorded prompts of `developers` in `days` (blocking).

    Raises:
        StoreError: The database could not be read.
    """
    rows = _candidates(conn, days, developers)
    entries: list[PromptEntry] = []
    unreadable = 0
    truncated = len(rows) == _MAX_CANDIDATES
    for developer, started, mode, model in rows:
        started_at = datetime.fromtimestamp(float(str(started)), UTC)
        path = folders.of(str(developer)).find(started_at)
        if path is None:
            continue
        if len(entries) == MAX_PROMPTS:
            truncated = True
            break
        try:
            talk = read_conversation(path)
        except AppError as exc:
            unreadable += 1
            logger.warning("Skipped a recorded prompt: %s", exc.user_message)
            continue
        entries.append(PromptEntry(str(developer), started_at, str(mode), str(model), talk.prompt, talk.response))
    entries.sort(key=lambda e: (e.developer, e.started_at))
    return PromptSelection(tuple(entries), truncated, unreadable)


def content_recorded(folders: ContentFolders, days: DayRange, developers: Sequence[str]) -> bool:
    """Whether any prompt or answer of `developers` was recorded around `days` (files carry UTC days)."""
    first, last = (days.first - timedelta(days=1)).isoformat(), (days.last + timedelta(days=1)).isoformat()
    return any(folders.of(name).any_between(first, last) for name in developers)
