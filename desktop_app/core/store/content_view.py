"""A recorded request's prompt and answer, read back from the content log for the drill-down.

Content files (`content_log`, only written when content recording is on) are named after the
request's start time, so a drill-down row finds its file by developer and moment. The documents
were redacted when written; this module only extracts readable text: the last user message of a
chat request (Chat Completions, Responses or Anthropic Messages), the prompt of a completion, and
the answer put back together from its stream chunks.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from glob import escape
from pathlib import Path
from typing import Final

from desktop_app.core.errors import AppError

MAX_TEXT_CHARS: Final = 200_000
"""The most characters shown of a prompt or an answer (the end of a long prompt is what matters)."""
_MATCH_SECONDS: Final = 0.002
_STAMP: Final = "%Y-%m-%dT%H-%M-%S.%f"
_SECOND: Final = "%Y-%m-%dT%H-%M-%S"


@dataclass(frozen=True)
class Conversation:
    """What a developer asked and what Copilot answered, as recorded (already redacted)."""

    prompt: str
    response: str
    path: Path


def _seconds_around(moment: datetime) -> list[str]:
    """The file-name seconds a request started at `moment` (UTC) may carry (±2 ms across a second boundary)."""
    margin = timedelta(seconds=_MATCH_SECONDS)
    return sorted({(moment + shift).strftime(_SECOND) for shift in (-margin, timedelta(0), margin)})


def _nearest(paths: Iterable[Path], developer: str, moment: datetime) -> Path | None:
    """The file among `paths` stamped closest to `moment`, if within 2 ms."""
    best: tuple[float, Path] | None = None
    for path in paths:
        stamp = path.name[: -len(f"_{developer}.json")]
        try:
            recorded = datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue
        gap = abs((recorded - moment).total_seconds())
        if gap <= _MATCH_SECONDS and (best is None or gap < best[0]):
            best = (gap, path)
    return best[1] if best else None


def find_content(root: Path, developer: str, started_at: datetime) -> Path | None:
    """The content file of `developer`'s request started at `started_at`, or None when none was recorded."""
    folder = root / developer
    if not folder.is_dir():
        return None
    moment = started_at.astimezone(UTC)
    name = escape(developer)
    found = (path for second in _seconds_around(moment) for path in folder.glob(f"*/{second}.*_{name}.json"))
    return _nearest(found, developer, moment)


class ContentIndex:
    """One developer's content files, listed once: for finding many requests' files quickly (reports)."""

    def __init__(self, root: Path, developer: str) -> None:
        """List `root/<developer>/*/*.json` (nothing when the folder does not exist)."""
        self.developer = developer
        self._by_second: dict[str, list[Path]] = {}
        folder = root / developer
        suffix = f"_{developer}.json"
        for path in folder.glob("*/*.json") if folder.is_dir() else ():
            if path.name.endswith(suffix):
                self._by_second.setdefault(path.name[:19], []).append(path)

    def find(self, started_at: datetime) -> Path | None:
        """The content file of the request started at `started_at`, or None."""
        moment = started_at.astimezone(UTC)
        found = (path for second in _seconds_around(moment) for path in self._by_second.get(second, ()))
        return _nearest(found, self.developer, moment)

    def any_between(self, first: str, last: str) -> bool:
        """Whether any file is stamped on a UTC day from `first` to `last` (ISO dates, inclusive)."""
        return any(first <= second[:10] <= last for second in self._by_second)


def _text_of(content: object) -> str:
    """Text from a message's content: a string, or a list of parts with 'text'."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part["text"] for part in content
                         if isinstance(part, dict) and isinstance(part.get("text"), str))
    return ""


def _last_user_message(messages: object) -> str:
    if isinstance(messages, str):
        return messages
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""


def prompt_text(request: object) -> str:
    """The prompt of a recorded request body: the last user message, or a completion's prompt."""
    if not isinstance(request, dict):
        return request if isinstance(request, str) else ""
    for key in ("messages", "input"):
        if key in request:
            return _last_user_message(request[key])
    prompt = request.get("prompt")
    return prompt if isinstance(prompt, str) else ""


def _chunk_text(chunk: object) -> str:
    """The text one stream chunk adds (Chat Completions, completions, Anthropic Messages, Responses)."""
    if not isinstance(chunk, dict):
        return ""
    kind = chunk.get("type")
    delta = chunk.get("delta")
    if kind == "content_block_delta" and isinstance(delta, dict):
        text = delta.get("text")
        return text if isinstance(text, str) else ""
    if kind == "response.output_text.delta":
        return delta if isinstance(delta, str) else ""
    choices = chunk.get("choices")
    parts = []
    for choice in choices if isinstance(choices, list) else ():
        if isinstance(choice, dict):
            inner = choice.get("delta") or choice.get("message") or {}
            text = inner.get("content") if isinstance(inner, dict) else None
            parts.append(text if isinstance(text, str) else str(choice.get("text") or ""))
    return "".join(parts)


def _whole_text(body: dict[str, object]) -> str:
    """The text of a non-streamed answer."""
    if "choices" in body:
        return _chunk_text(body)
    if isinstance(body.get("content"), list):  # Anthropic Messages
        return _text_of(body["content"])
    outputs = body.get("output")
    if isinstance(outputs, list):  # Responses
        texts = (_text_of(item.get("content")) for item in outputs if isinstance(item, dict))
        return "\n".join(text for text in texts if text)
    return ""


def response_text(response: object) -> str:
    """The answer of a recorded response: stream chunks joined, or the text of a whole body."""
    if isinstance(response, list):
        return "".join(_chunk_text(chunk) for chunk in response)
    if isinstance(response, dict):
        return _whole_text(response)
    return response if isinstance(response, str) else ""


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT_CHARS else "…" + text[-MAX_TEXT_CHARS:]


def _section(document: dict[str, object], name: str) -> object:
    part = document.get(name)
    return part.get("content") if isinstance(part, dict) else None


def read_conversation(path: Path) -> Conversation:
    """Read a content file's prompt and answer (blocking).

    Raises:
        AppError: The file could not be read or is not a recorded request.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AppError(f"The recorded request {path} could not be read: {exc}.", details=repr(exc)) from exc
    if not isinstance(document, dict):
        raise AppError(f"The file {path} is not a recorded request.", details=type(document).__name__)
    return Conversation(_clip(prompt_text(_section(document, "request"))),
                        _clip(response_text(_section(document, "response"))), path)

