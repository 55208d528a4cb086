"""Driving the wired tray application in tests: settings with a team, a running app, recorded usage."""

import threading
from dataclasses import replace
from datetime import UTC, datetime

from PySide6.QtGui import QAction

from desktop_app.core.models import RecordBatch, UsageEvent
from desktop_app.core.store.database import UsageStore
from desktop_app.core.team.directory import add_developer
from desktop_app.core.team.settings import DesktopSettings, Settings, save_settings
from desktop_app.ui.icons import TrayState


def action(app, name) -> QAction:
    found = app.tray.menu.findChild(QAction, name)
    assert found is not None, name
    return found


def configured(paths, time_zone="", recording=None, **desktop) -> Settings:
    settings = Settings(desktop=DesktopSettings(**desktop), time_zone=time_zone)
    if recording is not None:
        settings = replace(settings, recording=recording)
    settings = add_developer(add_developer(settings, "alice"), "bob")
    save_settings(paths.settings_file, settings)
    return settings


def running_app(make_app, qtbot, paths, time_zone="", recording=None, **desktop):
    configured(paths, time_zone, recording, **desktop)
    app = make_app()
    app.launch()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.RUNNING, timeout=3000)
    return app


def usage(developer: str, started: datetime) -> UsageEvent:
    return UsageEvent(developer=developer, started_at=started, method="POST", host="api.githubcopilot.com",
                      path="/chat/completions", host_family="api", kind="model_call", status=200, duration_ms=10.0,
                      ttfb_ms=None, request_bytes=1, response_bytes=1, http_version="HTTP/2.0", streamed=True)


def record(paths, bridge, *developers):
    """Store one request per developer, then tell the bridge from another thread (as the writer does)."""
    events = tuple(usage(name, datetime.now(UTC)) for name in developers)
    with UsageStore.open(paths.database, "") as store:
        store.write(RecordBatch(usage=events))
    worker = threading.Thread(target=bridge.on_usage, args=(events,))
    worker.start()
    worker.join()
