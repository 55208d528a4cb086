"""The proxy as the product runs it: authentication, policy, capture, recording and the runner.

`serve` and the tray application both build a `ProxyService`; what differs is only who listens
to the recorded usage (log lines, the GUI bridge).
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from desktop_app.core.content_log import ContentLog
from desktop_app.core.dispatch import DispatchStats, EventDispatcher
from desktop_app.core.models import UsageEvent
from desktop_app.core.paths import AppPaths, ensure_private_dir
from desktop_app.core.settings import RecordingLevel, Settings
from desktop_app.core.store import UsageStore
from desktop_app.core.team import TeamDirectory
from desktop_app.proxy.auth import AuthFailure, ProxyAuthenticator
from desktop_app.proxy.hosts import HostPolicy, intercept_patterns
from desktop_app.proxy.pipeline import PipelineStats, RecordingPipeline, Retention, UsageListener
from desktop_app.proxy.policy import CopilotOnly
from desktop_app.proxy.recorder import Exchange, UsageRecorder
from desktop_app.proxy.runner import Address, ErrorCallback, ProxyOptions, ProxyRunner

request_log = logging.getLogger("desktop_app.requests")


@dataclass(frozen=True)
class ServiceOptions:
    """How to run: where to listen, what to record, and the power-user mitmproxy extras."""

    listen_host: str
    listen_port: int
    set_options: tuple[str, ...] = ()
    scripts: tuple[Path, ...] = ()
    record: RecordingLevel | None = None  # None: as the settings say


def log_request_lines(events: Sequence[UsageEvent]) -> None:
    """Write one readable line per Copilot request (never a header, query string or body)."""
    for e in events:
        status = e.status if e.status is not None else f"failed ({e.error})"
        detail = f" {e.mode}" if e.mode else ""
        request_log.info("%s %s%s %s %s%s %s in %.0f ms", e.developer, e.kind, detail, e.method, e.host, e.path,
                         status, e.duration_ms)


class ProxyService:
    """Owns one proxy runner and the writer thread that records what it captures."""

    def __init__(self, paths: AppPaths, settings: Settings, load_secret: Callable[[], bytes],
                 options: ServiceOptions, *, listeners: Sequence[UsageListener] = (),
                 on_error: ErrorCallback | None = None,
                 on_auth_failure: Callable[[AuthFailure], None] | None = None) -> None:
        """Load the team (raising `AppError` if the secret or settings are unusable) and prepare."""
        self.directory = TeamDirectory(paths.settings_file, load_secret)
        self.hosts = HostPolicy(settings.proxy.extra_hosts)
        self.record: RecordingLevel = options.record or settings.recording.level
        content = ContentLog(paths.content_dir) if self.record == "content" else None
        self.pipeline = RecordingPipeline(
            partial(UsageStore.open, paths.database, settings.time_zone), content,
            Retention(settings.recording.content_retention_days, settings.recording.event_retention_days),
            [log_request_lines, *listeners], dropped=lambda: self.dispatcher.stats.dropped)
        self.dispatcher: EventDispatcher[Exchange] = EventDispatcher([self.pipeline], on_stop=self.pipeline.close)
        self.recorder = UsageRecorder(self.dispatcher.submit, self.hosts)
        addons = [
            ProxyAuthenticator(self.directory.check, on_failure=on_auth_failure),
            CopilotOnly(self.hosts, settings.proxy.copilot_only),
            self.recorder,
        ]
        self.runner = ProxyRunner(ProxyOptions(
            listen_host=options.listen_host, listen_port=options.listen_port,
            confdir=ensure_private_dir(paths.confdir),
            allow_hosts=tuple(intercept_patterns(settings.proxy.extra_hosts)),
            set_options=options.set_options, scripts=options.scripts,
        ), addons, on_error=on_error)

    @property
    def stats(self) -> DispatchStats:
        """Counters of captured and dropped exchanges."""
        return self.dispatcher.stats

    @property
    def recording(self) -> PipelineStats:
        """Counters of analysed, stored, unparsed and unrecorded exchanges."""
        return self.pipeline.stats

    def start(self, timeout: float = 10.0) -> Address:
        """Start the writer thread and the proxy; raise `ProxyStartError` if it cannot listen."""
        self.dispatcher.start()
        try:
            return self.runner.start(timeout)
        except BaseException:
            self.dispatcher.stop()
            raise

    def stop(self) -> None:
        """Stop the proxy, then record what is still queued and close the store."""
        self.runner.stop()
        self.dispatcher.stop()  # closes the store on the writer thread
