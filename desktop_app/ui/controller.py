"""The tray application's behaviour: what each menu entry does and what the tray shows.

Wires the tray's intents to the proxy lifecycle, the presenters and the windows; turns engine
events (recorded usage, mitmproxy errors) into tray state, tooltips and notifications. It owns no
widgets' insides and runs nothing blocking: every slow step is a `TaskRunner` job.
"""

import logging
import time
from datetime import datetime

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QDialog

from desktop_app import APP_NAME
from desktop_app.core.auth_log import Burst
from desktop_app.core.guide.snippets import advertised_host
from desktop_app.core.store.engine import SqliteDatabase, database_of
from desktop_app.core.store.queries import ConnectionSummary
from desktop_app.core.store.spool import SPOOL_FILE
from desktop_app.core.team.diagnostics import upstream_problem, upstream_reason, upstream_short
from desktop_app.core.team.secrets import NoKeyringError
from desktop_app.core.team.settings import Settings, load_settings
from desktop_app.ui import long_lived
from desktop_app.ui.activity import ActivityMonitor, TodayActivity
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.ca_guide_presenter import CaGuidePresenter
from desktop_app.ui.context import UiContext
from desktop_app.ui.dashboard_presenter import DashboardPresenter
from desktop_app.ui.dialogs.info import InfoWindow, about_window
from desktop_app.ui.dialogs.wizard import WizardResult
from desktop_app.ui.engine import EngineStatus
from desktop_app.ui.errors import short_reason
from desktop_app.ui.export_presenter import ExportPresenter
from desktop_app.ui.icons import TrayState
from desktop_app.ui.other_proxy import OtherProxyWatch
from desktop_app.ui.proxy_control import ProxyControl
from desktop_app.ui.secret_presenter import SecretPresenter
from desktop_app.ui.setup_presenter import SetupPresenter
from desktop_app.ui.team_presenter import TeamPresenter
from desktop_app.ui.tray import Tray

logger = logging.getLogger(__name__)

ENGINE_ERROR_NOTICE_SECONDS = 60.0


class TrayController(QObject):
    """Connects the tray, the proxy, today's activity and the windows."""

    quitting = Signal()

    def __init__(self, ctx: UiContext, tray: Tray, proxy: ProxyControl, bridge: EngineBridge,
                 parent: QObject | None = None) -> None:
        """Wire everything; nothing starts until `launch()`."""
        super().__init__(parent)
        self._ctx, self.tray, self.proxy = ctx, tray, proxy
        self.settings = Settings()
        database = database_of(ctx.paths)
        spool = None if isinstance(database, SqliteDatabase) else ctx.paths.data_dir / SPOOL_FILE
        self.activity = ActivityMonitor(database, "", ctx.tasks, self, spool=spool)
        self.secret = SecretPresenter(ctx, self)
        self.team = TeamPresenter(ctx, lambda: self.activity.today, self.secret, self)
        self.setup = SetupPresenter(ctx, self.secret, self)
        self.ca_guide = CaGuidePresenter(ctx, self)
        self.dashboard = DashboardPresenter(ctx, self)
        self.export = ExportPresenter(ctx, self)
        self.other_proxy = OtherProxyWatch(ctx.paths.data_dir, ctx.paths.database, ctx.tasks, self)
        self.windows: dict[str, InfoWindow] = {}
        self.last_engine_error = ""
        self._error_noticed_at = -ENGINE_ERROR_NOTICE_SECONDS
        self._start_error = ""
        self._start_failure: tuple[BaseException, str] | None = None  # the error and its dialog's title
        self._other_ended = ""  # who ran the proxy the tray showed, once that process stopped it
        self._unreachable: tuple[str, str] | None = None  # (host, reason) told to the lead, until it clears
        self.exit_application = QApplication.quit  # tests replace it: pytest-qt's application must live on
        self._connect_tray()
        self._connect_engine(bridge)

    def _connect_tray(self) -> None:
        tray = self.tray
        tray.toggle_proxy_requested.connect(self.toggle_proxy)
        tray.dashboard_requested.connect(lambda: self.show_window("dashboard"))
        self.dashboard.team_requested.connect(self.team.open)
        self.dashboard.ca_guide_requested.connect(lambda: self.show_window("ca_guide"))
        self.dashboard.export_requested.connect(
            lambda days, developer, instance: self.export.open("custom", self.settings, days=days, developer=developer,
                                                               instance=instance))
        tray.team_requested.connect(self.team.open)
        tray.ca_guide_requested.connect(lambda: self.show_window("ca_guide"))
        tray.export_requested.connect(lambda period: self.export.open(period, self.settings))
        tray.settings_requested.connect(self.setup.open_settings)
        tray.setup_requested.connect(self.setup.open_wizard)
        tray.open_data_folder_requested.connect(self.setup.open_data_folder)
        tray.about_requested.connect(lambda: self.show_window("about"))
        tray.quit_requested.connect(self.quit)
        tray.status_details_requested.connect(self.show_start_failure)

    def _connect_engine(self, bridge: EngineBridge) -> None:
        bridge.usage_recorded.connect(self._on_usage_recorded)
        bridge.engine_error.connect(self._on_engine_error)
        bridge.auth_burst.connect(self._on_auth_burst)
        self.proxy.state_changed.connect(lambda _state: self._show_state())
        self.proxy.started.connect(self._on_started)
        self.proxy.start_failed.connect(self._on_start_failed)
        self.proxy.stopped.connect(self._on_stopped)
        self.other_proxy.store_changed.connect(lambda: self._on_usage_recorded(()))
        self.other_proxy.ended.connect(self._on_other_proxy_ended)
        self.activity.changed.connect(self._on_activity)
        self.activity.first_request_today.connect(self._on_first_request)
        self.team.secret_rotated.connect(self._on_secret_rotated)
        self.team.team_changed.connect(self._use_settings)
        self.setup.settings_saved.connect(self._on_settings_saved)
        self.setup.wizard_finished.connect(self._on_wizard_finished)

    # --- launch and quit ---------------------------------------------------------------------------

    def launch(self) -> None:
        """Show the tray, read the secret (offering a file if no keyring works), then run the wizard or start."""
        self.tray.show()
        self._show_state()
        # The first read of the LAN addresses may wait on a resolver: do it off the GUI thread.
        self._ctx.tasks.submit(self._ctx.services.lan_addresses, name="read network addresses")
        self.secret.ensure(self._continue_launch)

    def _continue_launch(self) -> None:
        if not self._ctx.paths.settings_file.exists():
            self.tray.show_setup(True)  # also after Cancel: "Set up…" stays in the menu until Finish
            self.setup.open_wizard()
            return
        path = self._ctx.paths.settings_file
        self._ctx.tasks.submit(lambda: load_settings(path), self._on_settings_loaded, self._on_settings_unreadable,
                               name="load settings")

    def _on_settings_loaded(self, settings: Settings) -> None:
        self._use_settings(settings)
        self.activity.refresh()
        if settings.desktop.start_proxy_on_launch:
            self.proxy.start()

    def _on_settings_unreadable(self, error: BaseException) -> None:
        self._start_error = short_reason(error)
        self._start_failure = (error, self.tr("The settings cannot be used"))
        self._ctx.errors.report(error, self.tr("The settings cannot be used"))
        self._show_state()

    def quit(self) -> None:
        """Cancel a running export, stop the proxy (off the GUI thread), then leave."""
        self.quitting.emit()
        self.export.cancel()
        if self.proxy.state in (TrayState.RUNNING, TrayState.STARTING, TrayState.STOPPING):
            self.proxy.stopped.connect(self._leave)
            self.proxy.stop()
        else:
            self._leave()

    def _leave(self) -> None:
        self.tray.hide()
        self.exit_application()

    # --- actions -----------------------------------------------------------------------------------

    def toggle_proxy(self) -> None:
        """Start the proxy when stopped (or failed), stop it when running."""
        if self.proxy.state in (TrayState.RUNNING, TrayState.STARTING):
            self.proxy.stop()
        else:
            self.secret.declined = False  # the lead asks: offer the secret file again if need be
            self.proxy.start()

    def show_window(self, name: str) -> QDialog:
        """Show (or bring forward) the dashboard, the CA guide, the export window or the About box."""
        if name == "export":
            return self.export.open("this_month", self.settings)
        if name == "ca_guide":
            return self.ca_guide.open(self.settings, self.proxy.status)
        if name == "dashboard":
            return self.dashboard.open(self.settings)
        window = self.windows.get(name)
        if window is None:
            window = about_window(str(self._ctx.paths.data_dir))
            self.windows[name] = window
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def show_start_failure(self) -> None:
        """Show again why the proxy is not running (the status line's "open for details")."""
        if self._start_failure is None:
            return
        error, title = self._start_failure
        if isinstance(error, NoKeyringError):
            self.secret.offer(error, self._start_if_secret)
        else:
            self._ctx.errors.report(error, title)

    def bring_forward(self) -> None:
        """Another launch asked for this instance: show the wizard if unfinished, else the team."""
        if self.setup.wizard is not None:
            self.setup.open_wizard()
        else:
            self.team.open()
        self.tray.notify(APP_NAME, self.tr("Copilot Insight is already running; it lives in the tray."))

    # --- engine and activity events ----------------------------------------------------------------

    def _use_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.activity.time_zone = settings.time_zone
        self.dashboard.follow(settings)
        self._show_state()

    def _on_started(self, status: EngineStatus) -> None:
        self._start_error, self._start_failure = "", None
        if status.run_by:
            self.other_proxy.start()
            self.tray.notify(APP_NAME, self.tr("{who} already runs the proxy on {address} for this data folder; "
                                               "the tray shows it.").format(who=status.run_by,
                                                                            address=self._address(status)))
        elif status.otlp_problem:  # the receiver is an extra: the proxy runs, the lead learns why it does not
            running = self.tr("The proxy is running on {address}.").format(address=self._address(status))
            self.tray.notify(APP_NAME, running + " " + self.tr("The OpenTelemetry receiver could not start: {why}")
                             .format(why=status.otlp_problem), warning=True)
        else:
            self.tray.notify(APP_NAME, self.tr("The proxy is running on {address}.").format(
                address=self._address(status)))
        long_lived.settle()  # the proxy's modules are loaded: collections leave them alone from now on
        self.activity.refresh()

    def _on_other_proxy_ended(self) -> None:
        self._other_ended = self.proxy.status.run_by if self.proxy.status else "?"
        self.proxy.stop()  # nothing of ours to stop: the tray's state follows

    def _on_start_failed(self, error: BaseException) -> None:
        if isinstance(error, NoKeyringError):  # the choice, not the keyring library's text
            self._start_error = self.tr("no keyring for the secret")
            self._start_failure = (error, "")  # "open for details" offers the choice again
            self._show_state()
            if self.secret.declined:
                self.tray.notify(APP_NAME, self.tr("The proxy could not start: no keyring works here. Start it "
                                                   "again to keep the secret in a file instead."), warning=True)
            else:
                self.secret.offer(error, self._start_if_secret)
            return
        self._start_error = short_reason(error)
        self._start_failure = (error, self.tr("The proxy could not start"))
        self._show_state()
        self.tray.notify(APP_NAME, self.tr("The proxy could not start: {reason}.").format(reason=self._start_error),
                         warning=True)
        self._ctx.errors.report(error, self.tr("The proxy could not start"))

    def _start_if_secret(self) -> None:
        if self._ctx.secret.loaded:
            self.proxy.start()

    def _on_stopped(self) -> None:
        if self.other_proxy.active:
            self.other_proxy.stop()
            return  # the other process's proxy goes on; only the tray stops showing it
        if self._other_ended:
            who, self._other_ended = self._other_ended, ""
            self.tray.notify(APP_NAME, self.tr("{who} stopped its proxy. Developers' Copilot requests fail until "
                                               "a proxy runs: start one from this menu.").format(who=who), warning=True)
            return
        self.tray.notify(APP_NAME, self.tr("The proxy stopped. Developers' Copilot requests fail until it runs."))

    def _on_usage_recorded(self, _events: object) -> None:
        self.activity.schedule()
        self.dashboard.schedule()

    def _on_engine_error(self, message: str) -> None:
        logger.error("Proxy error: %s", message)
        self.last_engine_error = message
        now = time.monotonic()
        if now - self._error_noticed_at >= ENGINE_ERROR_NOTICE_SECONDS:
            self._error_noticed_at = now
            self.tray.notify(self.tr("Proxy problem"), message, warning=True)
        self._show_state()

    def _on_auth_burst(self, burst: Burst) -> None:
        if burst.sources == 1:
            where = self.tr("all from {source}").format(source=burst.top_source)
        else:
            where = self.tr("from {sources} addresses, most from {source} ({top})").format(
                sources=burst.sources, source=burst.top_source, top=burst.top_count)
        sentence = self.tr("{count} refused logins in {minutes} min, {where} (at {time}). If that is not a developer "
                           "with an old password, someone is guessing; every attempt is in logs/auth.log.").format(
            count=burst.count, minutes=max(1, round(burst.seconds / 60)), where=where,
            time=datetime.now().strftime("%H:%M"))
        self.team.show_burst(sentence)
        self.tray.notify(self.tr("Refused logins"), sentence, warning=True)

    def _on_activity(self, _today: TodayActivity) -> None:
        self._tell_upstream()
        self._show_state()
        self.team.refresh_activity()

    def upstream_problem(self) -> ConnectionSummary | None:
        """The proxy's current failure to reach Copilot, while it runs (from the store, whoever records)."""
        if self.proxy.state is not TrayState.RUNNING:
            return None
        return upstream_problem(self.activity.today.connections)

    def _tell_upstream(self) -> None:
        """Notify once when Copilot becomes unreachable (or unreachable for another reason), and when it is back."""
        problem = self.upstream_problem()
        key = (problem.host, problem.detail) if problem is not None else None
        if key == self._unreachable:
            return
        previous, self._unreachable = self._unreachable, key
        if problem is not None:
            self.tray.notify(self.tr("Cannot reach Copilot"), self.tr(
                "The proxy cannot reach {host}: {reason}. Developers' Copilot requests fail; check this "
                "computer's network, DNS or company proxy.").format(host=problem.host, reason=upstream_reason(problem)),
                warning=True)
        elif previous is not None:
            self.tray.notify(APP_NAME, self.tr("Copilot is reachable again ({host}).").format(host=previous[0]))

    def _on_first_request(self, name: str) -> None:
        if self.settings.desktop.notify_first_request:
            self.tray.notify(APP_NAME, self.tr("{name} sent their first Copilot request today.").format(name=name))

    def _on_secret_rotated(self) -> None:
        self.tray.notify(APP_NAME, self.tr("New secret: every developer needs their new password from "
                                           "Team & credentials."), warning=True)
        if self.proxy.running:
            self.proxy.restart()

    def _on_settings_saved(self, settings: Settings, restart: bool) -> None:
        self._use_settings(settings)
        self.activity.refresh()
        if restart and self.proxy.state in (TrayState.RUNNING, TrayState.STARTING):
            self.proxy.restart()

    def _on_wizard_finished(self, settings: Settings, result: WizardResult) -> None:
        self._use_settings(settings)
        self.tray.show_setup(False)
        if result.start_proxy:
            self.secret.declined = False
            self.proxy.start()
        if result.then_open == "ca_guide":
            self.show_window("ca_guide")
        else:
            self.team.open()

    # --- what the tray shows -----------------------------------------------------------------------

    def _address(self, status: EngineStatus) -> str:
        services = self._ctx.services
        host = advertised_host(status.host, services.lan_addresses(), services.host_name())
        return f"{host}:{status.port}"

    def status_text(self) -> str:
        """The menu's status line for the current state."""
        state, today = self.proxy.state, self.activity.today
        problem = self.upstream_problem()
        if problem is not None:
            return self.tr("Cannot reach Copilot: {reason}").format(reason=upstream_short(problem))
        if state is TrayState.RUNNING and self.proxy.status is not None:
            address = self._address(self.proxy.status)
            waiting = today.backlog.events if today.backlog is not None else 0
            if today.database_problem:
                return self.tr("Running on {address} · database unreachable · {waiting} events wait in the spool"
                               ).format(address=address, waiting=waiting)
            run_by = self.proxy.status.run_by
            where = self.tr("Run by {who} on {address}") if run_by else self.tr("Running on {address}")
            line = (where + self.tr(" · {active} active · {requests} requests today")).format(
                who=run_by.split(" (")[0], address=address, active=len(today.developers), requests=today.requests)
            if waiting:
                line += self.tr(" · {waiting} events wait for the database").format(waiting=waiting)
            return line
        if state is TrayState.ERROR or (state is TrayState.STOPPED and self._start_error):
            return self.tr("Not running: {reason} — open for details").format(reason=self._start_error)
        return {TrayState.STARTING: self.tr("Starting the proxy…"), TrayState.STOPPING: self.tr("Stopping…")}.get(
            state, self.tr("Proxy stopped"))

    def _show_state(self) -> None:
        status = self.status_text()
        recording = self.proxy.status.records_content if self.proxy.status else False
        lines = [APP_NAME, status]
        if recording:
            lines.append(self.tr("Recording prompts and answers"))
        if self.activity.today.database_problem:
            lines.append(self.activity.today.database_problem[:160])
        problem = self.upstream_problem()
        if problem is not None:
            lines.append(self.tr("{host}: {reason} (since {time})").format(
                host=problem.host, reason=upstream_reason(problem),
                time=problem.first_at.astimezone().strftime("%H:%M")))
        elif self.last_engine_error and self.proxy.running:
            lines.append(self.tr("Last problem: {message}").format(message=self.last_engine_error[:100]))
        state = TrayState.UNREACHABLE if problem is not None else self.proxy.state
        run_by = self.proxy.status.run_by if self.proxy.status else ""
        if run_by:
            lines.append(self.tr("The proxy is {who}'s; the tray shows what it records.").format(who=run_by))
        self.tray.set_state(state, recording_content=recording, status=status, tooltip="\n".join(lines),
                            run_by=run_by, details=self._start_failure is not None and not self.proxy.running)
        self.ca_guide.follow(self.settings, self.proxy.status)
