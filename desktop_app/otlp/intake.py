"""What the receiver does with one export: authenticate, check the writer keeps up, map, hand over.

Authentication is the proxy's: `Authorization: Basic` with the developer's proxy name and password,
checked by the team directory (constant-time). A refused export is recorded nowhere; the attempt is
reported like a refused proxy login (`on_refused`) and answered ever more slowly by the same kind of
throttle. The password never leaves `authenticate`.

Accepted exports become `RecordBatch`es submitted to the proxy's writer queue (never blocking). When
that queue is filling up the intake says so (`busy`) and the receiver answers 503 with Retry-After,
so the exporter retries later instead of its data being dropped.
"""

import base64
import binascii
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from desktop_app.capture.otlp_http import Signal
from desktop_app.core.models import RecordBatch
from desktop_app.core.team.credentials import AuthResult

logger = logging.getLogger(__name__)

Checker = Callable[[str, str], tuple[AuthResult, str | None]]
Refused = Callable[[str | None, AuthResult | None, str], None]
"""Told (name as sent or None, why, source address) about every refused export."""
BUSY_AT: Final = 0.8
"""How full the writer's queue may be before exports are refused with 503 (and retried by the client)."""


class Throttle(Protocol):
    """Delays answers to sources that keep failing (the proxy's `FailureThrottle`)."""

    def delay_for(self, source: str) -> float:
        """Seconds to wait before answering a failed attempt from `source`."""

    def record_failure(self, source: str) -> None:
        """Remember a failure from `source`."""

    def forget(self, source: str) -> None:
        """Clear `source`'s failures after it authenticated."""


@dataclass
class IntakeStats:
    """What the receiver took in and refused, for the log and the status line."""

    exports: int = 0
    model_calls: int = 0
    tool_calls: int = 0
    metric_points: int = 0
    log_records: int = 0
    rejected: int = 0
    refused: int = 0
    busy: int = 0


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(name, password) from an `Authorization: Basic …` value, or None if it is not one."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, colon, password = decoded.partition(":")
    return (name, password) if colon else None


class OtlpIntake:
    """Authenticates, maps and submits exports; safe to call from the receiver's threads."""

    def __init__(self, check: Checker, submit: Callable[[RecordBatch], None], backlog: Callable[[], float],
                 throttle: Throttle, *, record_content: bool, on_refused: Refused | None = None) -> None:
        """Check credentials with `check`, hand batches to `submit`, read the writer's `backlog` (0..1)."""
        self._check, self._submit, self._backlog = check, submit, backlog
        self._throttle, self._record_content, self._on_refused = throttle, record_content, on_refused
        self._lock = threading.Lock()
        self.stats = IntakeStats()

    def authenticate(self, header: str | None, source: str) -> str | None:
        """The developer whose credentials `header` carries, or None (reported, after the throttle's delay)."""
        credentials = basic_credentials(header) if header else None
        name: str | None = None
        result: AuthResult | None = AuthResult.WRONG_PASSWORD if header else None
        if credentials is not None:
            name, password = credentials
            result, developer = self._check(name, password)
            if developer is not None:
                with self._lock:
                    self._throttle.forget(source)
                return developer
        with self._lock:
            delay = self._throttle.delay_for(source)
            self._throttle.record_failure(source)
            self.stats.refused += 1
        logger.warning("OpenTelemetry export refused for %r from %s (%s).", (name or "")[:64], source,
                       result.value if result is not None else "no credentials")
        if self._on_refused is not None:
            self._on_refused(name, result, source)
        if delay:
            time.sleep(delay)
        return None

    def busy(self) -> bool:
        """Whether the writer is too far behind to take another export now."""
        if self._backlog() < BUSY_AT:
            return False
        with self._lock:
            self.stats.busy += 1
        return True

    def export(self, signal: Signal, developer: str, body: bytes, content_type: str,
               content_encoding: str) -> bytes:
        """Decode, map and submit one export; return the response body (`OtlpError` on bad input)."""
        from desktop_app.otlp import mapping  # noqa: PLC0415 - protobuf loads with the first export, see mapping

        mapped = mapping.map_export(signal, developer, body, content_type, content_encoding,
                                    record_content=self._record_content)
        batch = mapped.batch
        if batch is not None and (batch.usage or batch.tool_calls or batch.metric_points or batch.content):
            self._submit(batch)
        with self._lock:
            self.stats.exports += 1
            self.stats.rejected += mapped.rejected.count
            self.stats.log_records += mapped.log_records
            if batch is not None:
                self.stats.model_calls += len(batch.usage)
                self.stats.tool_calls += len(batch.tool_calls)
                self.stats.metric_points += len(batch.metric_points)
        return mapped.response
