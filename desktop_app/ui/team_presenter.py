"""Team & credentials: turns the dialog's requests into settings changes and keeps its rows current.

Changes go through the team's store on a worker: the settings file (`update_settings`, locked,
atomic), or with a shared database its team table (`shared_team`); a running proxy follows either
within seconds, so adding, disabling or rotating a developer needs no restart.
Rotating the secret does: the presenter asks for one through `secret_rotated`.
"""

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from desktop_app.core.ca import CaCertificate
from desktop_app.core.guide.snippets import ProxyAccess, advertised_host, developer_access, listens_only_locally
from desktop_app.core.store.engine import database_of
from desktop_app.core.team.credentials import derive_password
from desktop_app.core.team.diagnostics import (
    current_problem,
    describe,
    for_developer,
    local_time,
    status_line,
    unknown_usernames,
    upstream_problem,
    upstream_reason,
)
from desktop_app.core.team.directory import add_developer, remove_developer, rotate_developer, set_enabled
from desktop_app.core.team.settings import Settings
from desktop_app.core.team.shared_team import LocalTeam, SharedTeam, team_for
from desktop_app.ui.activity import TodayActivity
from desktop_app.ui.context import UiContext
from desktop_app.ui.dialogs.team import TeamDialog, TeamRow
from desktop_app.ui.secret_presenter import SecretPresenter

MAX_DETAILS = 8


def team_rows(settings: Settings, today: TodayActivity) -> list[TeamRow]:
    """One row per configured developer, with today's figures and their recent connection diagnostics."""
    rows = []
    for developer in settings.developers:
        seen = today.developers.get(developer.name)
        last_seen = seen.last_seen if seen else today.last_seen.get(developer.name)
        connections = for_developer(developer.name, today.connections)
        rows.append(TeamRow(name=developer.name, enabled=developer.enabled, created=developer.created,
                            requests_today=seen.requests if seen else 0, last_seen=last_seen,
                            connection=status_line(connections, last_seen),
                            connection_details=tuple(describe(s) for s in connections[:MAX_DETAILS]),
                            warning=current_problem(connections, last_seen) is not None))
    return rows


def upstream_banner(today: TodayActivity) -> str:
    """The note above the table while the proxy cannot reach Copilot, else ''."""
    problem = upstream_problem(today.connections)
    if problem is None:
        return ""
    return (f"The proxy cannot reach {problem.host}: {upstream_reason(problem)} (since {local_time(problem.first_at)}, "
            f"last tried {local_time(problem.last_at)[-5:]}). Every developer's Copilot requests fail until it can: "
            "check this computer's network, DNS and firewall, or set the company proxy in Settings.")


def unknown_name_lines(settings: Settings, today: TodayActivity) -> list[str]:
    """A sentence per recent attempt with a name that is not a developer here."""
    names = (d.name for d in settings.developers)
    return [describe(s) for s in unknown_usernames(today.connections, names)[:MAX_DETAILS]]


class TeamPresenter(QObject):
    """Owns the team dialog while it is open."""

    secret_rotated = Signal()
    team_changed = Signal(object)  # the new Settings

    def __init__(self, ctx: UiContext, today: Callable[[], TodayActivity], secret: SecretPresenter,
                 parent: QObject | None = None) -> None:
        """Present the team of `ctx.paths`; `today` returns the latest activity figures."""
        super().__init__(parent)
        self._ctx, self._today, self._secret = ctx, today, secret
        self.settings = Settings()
        self.dialog: TeamDialog | None = None
        self.certificate: CaCertificate | None = None  # read once, on a worker, for the snippets

    def open(self) -> TeamDialog:
        """Show the dialog (creating it on first use) and bring it to the front."""
        if self.dialog is None:
            self.dialog = TeamDialog(self.access_for)
            self.dialog.add_requested.connect(lambda name: self._change(lambda s: add_developer(s, name), name))
            self.dialog.remove_requested.connect(lambda name: self._change(lambda s: remove_developer(s, name)))
            self.dialog.enabled_change_requested.connect(
                lambda name, on: self._change(lambda s: set_enabled(s, name, enabled=on), name))
            self.dialog.rotate_requested.connect(lambda name: self._change(lambda s: rotate_developer(s, name), name))
            self.dialog.rotate_secret_requested.connect(self._rotate_secret)
            self.dialog.destroyed.connect(self._forget_dialog)
        self.reload()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        self._ensure_secret()
        self._ensure_certificate()
        return self.dialog

    def reload(self, select: str | None = None) -> None:
        """Read the team again (on a worker) and refresh the rows."""
        team = self._team()
        self._ctx.tasks.submit(team.settings, lambda s: self._show(s, select), self._ctx.errors.report,
                               name="load team")

    def _team(self) -> LocalTeam | SharedTeam:
        """The settings file's team, or the shared database's (where every instance sees a change)."""
        return team_for(database_of(self._ctx.paths), self._ctx.paths.settings_file)

    def refresh_activity(self) -> None:
        """Update the figures from the latest activity without reading the settings."""
        self._show(self.settings, None)

    def access_for(self, name: str) -> ProxyAccess | None:
        """Return `name`'s way into the proxy, or None until the secret has been read."""
        developer = self.settings.developer(name)
        if developer is None or not self._ctx.secret.loaded:
            return None
        proxy = self.settings.proxy
        services = self._ctx.services
        host = advertised_host(proxy.listen_host, services.lan_addresses(), services.host_name())
        password = derive_password(self._ctx.secret(), developer.name, developer.generation)
        fingerprint = self.certificate.fingerprint if self.certificate is not None else None
        return developer_access(proxy, host, developer.name, password, fingerprint)

    def _show(self, settings: Settings, select: str | None) -> None:
        self.settings = settings
        if self.dialog is None:
            return
        today = self._today()
        self.dialog.set_rows(team_rows(settings, today))
        self.dialog.set_unknown_names(unknown_name_lines(settings, today))
        self.dialog.set_upstream_problem(upstream_banner(today))
        local = listens_only_locally(settings.proxy.listen_host)
        self.dialog.set_local_only(settings.proxy.listen_host if local else None)
        if select and settings.developer(select):
            self.dialog.select(select)

    def _change(self, change: Callable[[Settings], Settings], select: str | None = None) -> None:
        team = self._team()

        def saved(settings: Settings) -> None:
            self._show(settings, select)
            self.team_changed.emit(settings)

        self._ctx.tasks.submit(lambda: team.update(change), saved, self._ctx.errors.report, name="change team")

    def _forget_dialog(self) -> None:
        self.dialog = None

    def _ensure_secret(self) -> None:
        if not self._ctx.secret.loaded:
            self._secret.ensure(lambda: self._show(self.settings, None))

    def _ensure_certificate(self) -> None:
        if self.certificate is None:
            self._ctx.tasks.submit(self._ctx.ca.describe, self._on_certificate, self._ctx.errors.report,
                                   name="read the CA certificate")

    def _on_certificate(self, certificate: CaCertificate) -> None:
        self.certificate = certificate
        self._show(self.settings, None)

    def _rotate_secret(self) -> None:
        def rotated(_secret: bytes) -> None:
            self._show(self.settings, None)
            self.secret_rotated.emit()

        self._ctx.tasks.submit(self._ctx.secret.rotate, rotated, self._ctx.errors.report, name="rotate secret")
