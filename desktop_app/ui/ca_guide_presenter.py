"""The CA guide window's presenter: the guide's context, the CA read and exported on workers.

It owns the one `CaGuideWindow`. The controller hands it the settings and the engine's status
whenever either changes (`follow`), so the setup page line and the commands' host and port always
match what runs. Reading the CA and writing an export touch files, so both run on a worker; a
failure goes to the error presenter and leaves the window usable.
"""

from pathlib import Path
from typing import cast, get_args

from PySide6.QtCore import QObject

from desktop_app.core.ca import CaCertificate, CaFormat
from desktop_app.core.errors import AppError
from desktop_app.core.fileio import export_bytes
from desktop_app.core.guide.ca_guide import (
    GuideContext,
    client_sections,
    system_sections,
    url_host,
)
from desktop_app.core.guide.snippets import advertised_host
from desktop_app.core.team.settings import Settings
from desktop_app.ui.context import UiContext
from desktop_app.ui.dialogs.ca_guide import CaGuideWindow
from desktop_app.ui.engine import CertificateAuthority, EngineStatus
from desktop_app.ui.i18n import tr

CONTEXT = "CaGuidePresenter"


def setup_page_state(settings: Settings, status: EngineStatus | None, host: str) -> tuple[str | None, str]:
    """(the setup page's URL on `host`, or None; why it does not run, or "" when it does)."""
    if status is not None and status.setup_port is not None:
        return f"http://{url_host(host)}:{status.setup_port}/", ""
    if not settings.proxy.setup_page:
        return None, tr(CONTEXT, "The setup page is turned off in Settings.")
    if status is None:
        return None, tr(CONTEXT, "The setup page runs with the proxy, and the proxy is not running.")
    return None, status.setup_problem or tr(CONTEXT, "The setup page is not running.")


def write_export(ca: CertificateAuthority, fmt: CaFormat, path: Path) -> Path:
    """Write the CA certificate as `fmt` to `path` (public, atomic); blocking."""
    export_bytes(path, ca.export(fmt))
    return path


def export_error(error: BaseException, path: Path) -> BaseException:
    """A file-system failure as a sentence with the fix; other errors unchanged."""
    if not isinstance(error, OSError):
        return error
    reason = error.strerror or str(error)
    message = tr(CONTEXT, "The CA certificate could not be saved as {path}: {reason}. Choose a folder you can "
                          "write to, such as Downloads.").format(path=path, reason=reason)
    wrapped = AppError(message, f"{type(error).__name__}: {error}")
    wrapped.__cause__ = error
    return wrapped


class CaGuidePresenter(QObject):
    """Opens the CA guide window and keeps it in line with the settings and the running proxy."""

    def __init__(self, ctx: UiContext, parent: QObject | None = None) -> None:
        """Present the CA of `ctx.ca`; nothing is read until the window first opens."""
        super().__init__(parent)
        self._ctx = ctx
        self.window: CaGuideWindow | None = None
        self.certificate: CaCertificate | None = None
        self._settings = Settings()
        self._status: EngineStatus | None = None
        self._guide: GuideContext | None = None
        self._ca_unreadable = False
        self._reading = False

    def open(self, settings: Settings, status: EngineStatus | None) -> CaGuideWindow:
        """Show the window (creating it on first use) for `settings` and the engine's `status`."""
        window = self.window
        if window is None:
            window = self.window = CaGuideWindow()
            window.export_requested.connect(self._export)
            window.open_url_requested.connect(self._ctx.services.open_url)
        self._settings, self._status = settings, status
        if self.certificate is None:
            self._read_certificate()
        window.show()
        window.raise_()
        window.activateWindow()
        self._refresh(window)
        return window

    def follow(self, settings: Settings, status: EngineStatus | None) -> None:
        """Remember the current settings and engine status; update the window while it is shown."""
        self._settings, self._status = settings, status
        if self.window is not None and self.window.isVisible():
            self._refresh(self.window)

    def _refresh(self, window: CaGuideWindow) -> None:
        services = self._ctx.services
        addresses, name = services.lan_addresses(), services.host_name()
        setup_host = advertised_host(self._status.host, addresses, name) if self._status is not None else ""
        setup_url, why = setup_page_state(self._settings, self._status, setup_host)
        window.set_setup_page(setup_url, why)
        if self.certificate is None and not self._ca_unreadable:
            return  # the guide needs the CA's name and fingerprint: it is built when they arrive
        unknown = tr(CONTEXT, "unknown")
        guide = GuideContext(
            host=advertised_host(self._settings.proxy.listen_host, addresses, name),
            port=self._settings.proxy.listen_port,
            ca_name=self.certificate.common_name if self.certificate is not None else unknown,
            fingerprint=self.certificate.fingerprint if self.certificate is not None else unknown,
            setup_url=setup_url,
            otlp_port=self._status.otlp_port if self._status is not None else None,
        )
        if guide != self._guide:
            self._guide = guide
            window.set_sections(system_sections(guide), client_sections(guide))

    def _read_certificate(self) -> None:
        if self._reading:
            return
        self._reading = True
        self._ctx.tasks.submit(self._ctx.ca.describe, self._on_described, self._on_describe_failed,
                               name="read the CA certificate")

    def _on_described(self, certificate: CaCertificate) -> None:
        self._reading, self._ca_unreadable = False, False
        self.certificate = certificate
        if self.window is not None:
            self.window.set_certificate(certificate)
            self._refresh(self.window)

    def _on_describe_failed(self, error: BaseException) -> None:
        self._reading, self._ca_unreadable = False, True
        self._ctx.errors.report(error, tr(CONTEXT, "The CA certificate cannot be read"))
        if self.window is not None:
            self.window.set_certificate_problem(tr(CONTEXT, "The CA certificate cannot be read; see the error "
                                                            "message."))
            self._refresh(self.window)

    def _export(self, fmt: str, path: str) -> None:
        if fmt not in get_args(CaFormat):
            raise ValueError(f"unknown CA format {fmt!r}")
        ca, chosen, target = self._ctx.ca, cast("CaFormat", fmt), Path(path)
        self._ctx.tasks.submit(lambda: write_export(ca, chosen, target), self._on_saved,
                               lambda error: self._on_export_failed(error, target), name="export the CA certificate")

    def _on_saved(self, path: Path) -> None:
        if self.window is not None:
            self.window.show_saved(path)

    def _on_export_failed(self, error: BaseException, path: Path) -> None:
        self._ctx.errors.report(export_error(error, path), tr(CONTEXT, "The CA certificate could not be saved"))
        if self.window is not None:
            self.window.show_export_failed()
