"""`copilot-insight serve`: the proxy headless, in the foreground, until SIGINT or SIGTERM."""

import argparse
import logging
import signal
import threading
from types import FrameType

from desktop_app.commands.common import secret_for
from desktop_app.core.paths import AppPaths
from desktop_app.core.team.settings import load_settings, recording_text
from desktop_app.proxy.service import ProxyService, ServiceOptions

logger = logging.getLogger(__name__)


def _stop_on_signal() -> threading.Event:
    """Catch the stop signals from now on (before the proxy starts, so an early SIGTERM still stops it cleanly)."""
    stop = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        logger.info("Received %s, stopping.", signal.Signals(signum).name)
        stop.set()

    for name in ("SIGINT", "SIGTERM", "SIGBREAK", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), handle)
    return stop


def _wait_for(stop: threading.Event) -> None:
    while not stop.wait(1.0):  # wakes every second so Ctrl+C is handled on every platform
        pass


def _options(args: argparse.Namespace, host: str, port: int) -> ServiceOptions:
    return ServiceOptions(
        listen_host=getattr(args, "listen_host", None) or host,
        listen_port=getattr(args, "listen_port", None) or port,
        set_options=tuple(getattr(args, "set_options", ())),
        scripts=tuple(getattr(args, "scripts", ())),
        record=getattr(args, "record", None),
        setup_page=getattr(args, "setup_page", None),
        setup_port=getattr(args, "setup_port", None),
        otlp_port=getattr(args, "otlp_port", None),
        upstream_proxy=getattr(args, "upstream_proxy", None),
        upstream_ca=getattr(args, "upstream_ca", None),
        log_requests=True,  # the administrator's view of the traffic
    )


def serve(args: argparse.Namespace, paths: AppPaths) -> int:
    """Run the proxy until a stop signal; return 0 after a clean shutdown."""
    stop = _stop_on_signal()
    settings = load_settings(paths.settings_file)
    # mitmproxy's error records reach the log by themselves: no forwarding callback, so each appears once.
    service = ProxyService(paths, settings, secret_for(args, paths),
                           _options(args, settings.proxy.listen_host, settings.proxy.listen_port))
    host, port = service.start()
    logger.info("Copilot Insight proxy on %s:%d for %d developer(s); recording %s into %s; data in %s.",
                host, port, len(settings.developers), recording_text(service.record), service.database.label,
                paths.data_dir)
    if service.otlp.address is not None:
        logger.info("OpenTelemetry receiver for developers without the CA on %s:%d (/v1/traces, /v1/metrics).",
                    *service.otlp.address)
    if getattr(args, "secret_file", None) is not None:
        logger.info("Developers' passwords derive from the secret file %s (not the system keyring).", args.secret_file)
    if service.company_proxy is not None:
        logger.info("Upstream traffic goes through the company proxy %s.", service.company_proxy.display)
    if not settings.developers:
        logger.warning("No developers yet: every request gets 407. Add one with "
                       "`copilot-insight users add NAME`.")
    try:
        _wait_for(stop)
    finally:
        service.stop()
        recording = service.recording
        logger.info("Stopped. %d request(s) recorded, %d dropped, %d unparsed, %d unrecorded.",
                    recording.stored, service.stats.dropped, recording.unparsed, recording.unrecorded)
        otlp = service.otlp.intake.stats
        if otlp.exports or otlp.refused:
            logger.info("OpenTelemetry: %d export(s) with %d model call(s) and %d tool call(s); %d refused, "
                        "%d deferred while busy.", otlp.exports, otlp.model_calls, otlp.tool_calls, otlp.refused,
                        otlp.busy)
    return 0

