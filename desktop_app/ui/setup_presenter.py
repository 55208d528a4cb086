"""The first-run wizard and the settings dialog: from what the lead chose to a saved settings file.

Saving happens on a worker under the settings lock; the developer list is always taken from the
file at save time, so a concurrent `copilot-insight users add` is never overwritten.
"""

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, QUrl, Signal

from desktop_app.core.errors import AppError
from desktop_app.core.guide.snippets import proposed_listen_host
from desktop_app.core.team.credentials import derive_password
from desktop_app.core.team.directory import add_developer
from desktop_app.core.team.settings import Settings, load_settings, update_settings
from desktop_app.ui.context import UiContext
from desktop_app.ui.dialogs.settings_dialog import SettingsDialog, proxy_restart_needed
from desktop_app.ui.dialogs.wizard import FirstRunWizard, WizardResult
from desktop_app.ui.secret_presenter import SecretPresenter


def apply_wizard(settings: Settings, result: WizardResult) -> Settings:
    """Return `settings` with the wizard's choices and its developers added (existing ones kept)."""
    chosen = replace(
        settings,
        proxy=replace(settings.proxy, listen_host=result.listen_host, listen_port=result.listen_port),
        recording=replace(settings.recording, level=result.recording_level),
    )
    for name in result.developers:
        if chosen.developer(name) is None:
            chosen = add_developer(chosen, name)
    return chosen


def keep_developers(chosen: Settings) -> Callable[[Settings], Settings]:
    """A settings change that applies `chosen` but keeps the developer list on disk."""
    return lambda current: replace(chosen, developers=current.developers)


class SetupPresenter(QObject):
    """Opens the wizard and the settings dialog and saves what they return."""

    settings_saved = Signal(object, bool)  # the new Settings, whether the proxy must restart
    wizard_finished = Signal(object, object)  # the new Settings, the WizardResult

    def __init__(self, ctx: UiContext, secret: SecretPresenter, parent: QObject | None = None) -> None:
        """Present the settings of `ctx.paths`; `secret` reads the secret (or offers a file) for the wizard."""
        super().__init__(parent)
        self._ctx, self._secret = ctx, secret
        self.settings_dialog: SettingsDialog | None = None
        self.wizard: FirstRunWizard | None = None

    def open_wizard(self) -> FirstRunWizard:
        """Show the first-run wizard (loading the secret meanwhile, for the credentials page)."""
        if self.wizard is None:
            services = self._ctx.services
            addresses = services.lan_addresses()
            defaults = Settings()
            defaults = replace(defaults, proxy=replace(defaults.proxy, listen_host=proposed_listen_host(addresses)))
            self.wizard = FirstRunWizard(defaults, addresses, services.host_name(), self._password_for)
            self.wizard.completed.connect(self._on_wizard_completed)
            self.wizard.finished.connect(self._forget_wizard)
            self._secret.ensure(lambda: None)
        self.wizard.show()
        self.wizard.raise_()
        return self.wizard

    def open_settings(self) -> None:
        """Read the settings on a worker, then show the dialog."""
        path = self._ctx.paths.settings_file
        self._ctx.tasks.submit(lambda: load_settings(path), self._show_settings, self._ctx.errors.report,
                               name="load settings")

    def _show_settings(self, settings: Settings) -> None:
        if self.settings_dialog is None:
            services = self._ctx.services
            self.settings_dialog = SettingsDialog(settings, self._ctx.paths.data_dir, services.lan_addresses(),
                                                  autostart_where=services.autostart_location())
            self.settings_dialog.settings_accepted.connect(lambda new: self._save(settings, new))
            self.settings_dialog.open_data_folder_requested.connect(self.open_data_folder)
            self.settings_dialog.finished.connect(self._forget_settings_dialog)
        self.settings_dialog.show()
        self.settings_dialog.raise_()
        self.settings_dialog.activateWindow()

    def open_data_folder(self) -> None:
        """Open the data folder in the file manager, or say where it is when the desktop cannot open folders."""
        folder = self._ctx.paths.data_dir
        folder.mkdir(parents=True, exist_ok=True)
        if not self._ctx.services.open_url(QUrl.fromLocalFile(str(folder))):
            self._ctx.errors.report(AppError(
                f"This desktop has no program that opens folders (no file manager is set up for it). The data "
                f"folder is:\n{folder}\nOpen it in a terminal or your file manager.", details=str(folder)),
                self.tr("The data folder cannot be opened here"))

    def _password_for(self, name: str) -> str | None:
        return derive_password(self._ctx.secret(), name, 0) if self._ctx.secret.loaded else None

    def _save(self, old: Settings, new: Settings) -> None:
        path, services = self._ctx.paths.settings_file, self._ctx.services

        def save() -> Settings:
            if new.desktop.launch_at_login != old.desktop.launch_at_login:
                services.set_launch_at_login(new.desktop.launch_at_login)
            return update_settings(path, keep_developers(new))

        restart = proxy_restart_needed(old, new)
        self._ctx.tasks.submit(save, lambda saved: self.settings_saved.emit(saved, restart),
                               self._ctx.errors.report, name="save settings")

    def _on_wizard_completed(self, result: WizardResult) -> None:
        path = self._ctx.paths.settings_file
        self._ctx.tasks.submit(lambda: update_settings(path, lambda s: apply_wizard(s, result)),
                               lambda saved: self.wizard_finished.emit(saved, result),
                               self._ctx.errors.report, name="save first-run settings")

    def _forget_wizard(self) -> None:
        if self.wizard is not None:
            self.wizard.deleteLater()
        self.wizard = None

    def _forget_settings_dialog(self) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.deleteLater()
        self.settings_dialog = None

