"""The proxy as the product runs it, with everything around it.

Connection hygiene, authentication (refusals also go to `auth.log`), the connection check, policy,
capture, diagnostics, recording, the runner, the developers' setup page and the OpenTelemetry receiver
(for developers who cannot install the CA). The list of hook objects handed to the runner is the order
in which they run on every event (the runner folds them into one mitmproxy addon, see `chain`): the
connection hygiene first (it only watches deadlines and closes), then authentication, so nothing else
ever sees an unauthenticated request.

`serve` and the tray application both build a `ProxyService`; what differs is only who listens
to the recorded usage (log lines in `serve`, the GUI bridge).
"""

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from desktop_app.capture.exchange import Exchange
from desktop_app.capture.hosts import HostPolicy, intercept_patterns
from desktop_app.capture.pipeline import PipelineStats, RecordingPipeline, Retention, UsageListener
from desktop_app.core.auth_log import AuthLog, Burst
from desktop_app.core.dispatch import DispatchStats, EventDispatcher
from desktop_app.core.models import ConnectionEvent, RecordBatch, UsageEvent
from desktop_app.core.netinfo import Address, host_name
from desktop_app.core.paths import AppPaths, ensure_private_dir
from desktop_app.core.proxy_state import ProxyClaim, RunningProxy
from desktop_app.core.store.content_log import ContentLog
from desktop_app.core.store.engine import SqliteDatabase, database_of
from desktop_app.core.store.spool import open_recording_store
from desktop_app.core.team.credentials import AuthResult
from desktop_app.core.team.directory import TeamDirectory
from desktop_app.core.team.settings import RecordingLevel, Settings
from desktop_app.core.team.shared_team import SharedTeam, SharedTeamDirectory
from desktop_app.core.upstream_proxy import UpstreamProxy, parse_upstream_proxy
from desktop_app.otlp.intake import OtlpIntake
from desktop_app.otlp.service import OtlpService
from desktop_app.proxy.auth import AuthFailure, FailureThrottle, ProxyAuthenticator
from desktop_app.proxy.certs import ensure_ca
from desktop_app.proxy.check import CHECK_PATTERN, ConnectionCheck
from desktop_app.proxy.company_proxy import company_proxy_setup
from desktop_app.proxy.diagnostics import HandshakeFailures, auth_log_reason, refusal_event
from desktop_app.proxy.hygiene import CloseReason, ConnectionHygiene
from desktop_app.proxy.policy import CopilotOnly
from desktop_app.proxy.recorder import UsageRecorder
from desktop_app.proxy.runner import ErrorCallback, ProxyOptions, ProxyRunner
from desktop_app.proxy.upstream import UpstreamWatch
from desktop_app.setup_page.service import SetupPageService

request_log = logging.getLogger("desktop_app.requests")


@dataclass(frozen=True)
class ServiceOptions:
    """How to run: where to listen, what to record, and the power-user mitmproxy extras."""

    listen_host: str
    listen_port: int
    set_options: tuple[str, ...] = ()
    scripts: tuple[Path, ...] = ()
    record: RecordingLevel | None = None  # None: as the settings say
    setup_page: bool | None = None  # None: as the settings say
    setup_port: int | None = None  # None: as the settings say (0 there: the proxy port + 1)
    otlp_port: int | None = None  # None: as the settings say; 0: no OpenTelemetry receiver
    log_requests: bool = False  # a log line per Copilot request (`serve` shows them; ~12 µs each, writer thread)
    program: str = "copilot-insight serve"  # who runs it, as other processes on the data folder read it
    upstream_proxy: str | None = None  # None: as the settings say ('' there: connect directly)
    upstream_ca: Path | None = None  # None: as the settings say


def _company_proxy(options: ServiceOptions, settings: Settings) -> UpstreamProxy | None:
    url = settings.proxy.upstream_proxy if options.upstream_proxy is None else options.upstream_proxy
    return parse_upstream_proxy(url) if url else None


def _upstream_ca(options: ServiceOptions, settings: Settings) -> Path | None:
    if options.upstream_ca is not None:
        return options.upstream_ca
    return Path(settings.proxy.upstream_ca).expanduser() if settings.proxy.upstream_ca else None


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
                 on_error: ErrorCallback | None = None, on_auth_burst: Callable[[Burst], None] | None = None) -> None:
        """Load the team (raising `AppError` if the secret or settings are unusable) and prepare.

        `on_auth_burst` hears (on the proxy thread) when refused logins pile up; every refusal is in `auth.log`.
        """
        self._data_dir, self._program = paths.data_dir, options.program
        self._claim: ProxyClaim | None = None
        self.database = database = database_of(paths)
        self.directory: TeamDirectory | SharedTeamDirectory = (
            TeamDirectory(paths.settings_file, load_secret) if isinstance(database, SqliteDatabase)
            else SharedTeamDirectory(SharedTeam(database, paths.settings_file), load_secret))
        self.hosts = HostPolicy(settings.proxy.extra_hosts)
        self.record: RecordingLevel = options.record or settings.recording.level
        content = ContentLog(paths.content_dir) if self.record == "content" else None
        self.pipeline = RecordingPipeline(
            partial(open_recording_store, database, paths.data_dir, settings.time_zone,
                    settings.instance or host_name()), content,
            Retention(settings.recording.content_retention_days, settings.recording.event_retention_days),
            [*([log_request_lines] if options.log_requests else []), *listeners],
            dropped=lambda: self.dispatcher.stats.dropped, on_problem=on_error)
        self.dispatcher: EventDispatcher[Exchange | ConnectionEvent | RecordBatch] = EventDispatcher(
            [self.pipeline], on_stop=self.pipeline.close)
        self.recorder = UsageRecorder(self.dispatcher.submit, self.hosts)
        self.auth_log = AuthLog(paths.log_dir, on_burst=on_auth_burst)
        authenticator = ProxyAuthenticator(self.directory.check, on_failure=self._refused)
        self.hygiene = ConnectionHygiene(authenticator.developer_for, on_closed=self._closed)
        self.company_proxy = _company_proxy(options, settings)
        addons = [
            self.hygiene,  # first: it must see each request head before authentication may wait
            authenticator,
            ConnectionCheck(self.dispatcher.submit),
            CopilotOnly(self.hosts, settings.proxy.copilot_only),
            self.recorder,
            HandshakeFailures(authenticator.developer_for, self.dispatcher.submit),
            UpstreamWatch(authenticator.developer_for, self.dispatcher.submit, watched=self.hosts.is_copilot_service,
                          company_proxy=self.company_proxy.address if self.company_proxy else None),
        ]
        confdir = ensure_private_dir(paths.confdir)
        ensure_ca(confdir, host_name())  # ours, named after this computer, before mitmproxy would make one
        company = company_proxy_setup(self.company_proxy, _upstream_ca(options, settings), confdir)
        addons.extend(company.addons)
        self.runner = ProxyRunner(ProxyOptions(
            listen_host=options.listen_host, listen_port=options.listen_port, confdir=confdir,
            allow_hosts=(*intercept_patterns(settings.proxy.extra_hosts), CHECK_PATTERN),
            set_options=options.set_options, scripts=options.scripts,
            defaults={"onboarding": False, **company.options},
        ), addons, on_error=on_error)
        self.setup_page = SetupPageService(
            confdir, settings, (options.listen_host, options.listen_port), record=self.record,
            enabled=settings.proxy.setup_page if options.setup_page is None else options.setup_page,
            port=settings.proxy.setup_port if options.setup_port is None else options.setup_port)
        intake = OtlpIntake(self.directory.check, self.dispatcher.submit, lambda: self.dispatcher.backlog,
                            FailureThrottle(), record_content=self.record == "content", on_refused=self._otlp_refused)
        # Like the setup page: when the proxy was asked for any free port (as tests do), so is the receiver.
        self.otlp = OtlpService(intake, options.listen_host,
                                settings.proxy.otlp_port if options.otlp_port is None else options.otlp_port,
                                any_free_port=options.listen_port == 0 and options.otlp_port is None)

    @property
    def stats(self) -> DispatchStats:
        """Counters of captured and dropped exchanges."""
        return self.dispatcher.stats

    @property
    def recording(self) -> PipelineStats:
        """Counters of analysed, stored, unparsed and unrecorded exchanges."""
        return self.pipeline.stats

    def _refused(self, failure: AuthFailure) -> None:
        self.dispatcher.submit(refusal_event(failure))
        self.auth_log.refused(failure.source, auth_log_reason(failure), failure.username or "", failure.target,
                              failure.at)

    def _closed(self, source: str, reason: CloseReason) -> None:
        if reason != "idle":  # an authenticated developer's idle tunnel is no failed login
            self.auth_log.refused(source, reason)

    def _otlp_refused(self, username: str | None, result: AuthResult | None, source: str) -> None:
        self._refused(AuthFailure(username, result, source, "OpenTelemetry receiver", time.time()))

    def start(self, timeout: float = 10.0) -> Address:
        """Start the writer thread, the proxy, the setup page and the OpenTelemetry receiver.

        Raises `ProxyStartError` if the proxy cannot listen or another one runs on this data folder; a
        setup page or receiver that cannot is reported in `setup_page.problem` or `otlp.problem` instead.
        """
        self._claim = ProxyClaim(self._data_dir)
        self.dispatcher.start()
        self.auth_log.start()
        try:
            address = self.runner.start(timeout)
        except BaseException:
            self.auth_log.close()
            self.dispatcher.stop()
            self._claim.release()
            raise
        self.otlp.start()
        self.setup_page.start(address, self.otlp.address[1] if self.otlp.address else None)
        setup = self.setup_page.address
        self._claim.publish(RunningProxy(os.getpid(), self._program, address[0], address[1], datetime.now(UTC),
                                         setup[1] if setup else None, self.record == "content"))
        return address

    def stop(self) -> None:
        """Stop the receiver, the setup page and the proxy, then record what is still queued and close the store."""
        self.otlp.stop()
        self.setup_page.stop()
        self.runner.stop()
        self.auth_log.close()
        self.dispatcher.stop()  # closes the store on the writer thread
        if self._claim is not None:
            self._claim.release()
        if isinstance(self.directory, SharedTeamDirectory):
            self.directory.close()
