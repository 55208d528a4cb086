"""What the GUI needs from the proxy engine, as a Protocol: the UI never imports the proxy layer.

`app.py`'s wiring (the `tray` command) supplies an implementation around `ProxyService`; tests may
supply their own. Both methods block and are only ever called on a worker thread.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QUrl

from desktop_app.core.ca import CaCertificate, CaFormat
from desktop_app.ui.bridge import EngineBridge


@dataclass(frozen=True)
class EngineStatus:
    """A running engine: where it listens and whether it records prompts and answers."""

    host: str
    port: int
    records_content: bool
    setup_port: int | None = None  # where the setup page listens; None when it is off or could not start
    setup_problem: str = ""  # why the setup page is not running although the settings turn it on
    otlp_port: int | None = None  # where the OpenTelemetry receiver listens; None when it is off or could not start
    otlp_problem: str = ""  # why the receiver is not running although the settings turn it on
    run_by: str = ""  # another process's proxy, shown instead of starting one (e.g. "copilot-insight serve")


class Engine(Protocol):
    """Starts and stops the proxy with the settings as they are on disk at start time."""

    def start(self) -> EngineStatus:
        """Start listening, or describe the proxy another process already runs on this data folder.

        Raise `AppError` (e.g. `ProxyStartError`) with the fix when it cannot.
        """
        ...

    def stop(self) -> None:
        """Stop listening and record what is still queued; a no-op when not running."""
        ...


EngineFactory = Callable[[EngineBridge], Engine]


class CertificateAuthority(Protocol):
    """The installation's CA as the GUI may use it: only the certificate, never the key.

    Both methods may create the CA on first use and read files: call them on a worker thread.
    """

    def describe(self) -> CaCertificate:
        """Name, SHA-256 fingerprint, expiry and file of the CA certificate."""
        ...

    def export(self, fmt: CaFormat) -> bytes:
        """The certificate as PEM, DER (`cer`) or a certificate-only PKCS#12 (`p12`)."""
        ...


@dataclass(frozen=True)
class DesktopServices:
    """OS services the GUI uses, injected so tests never open a browser or edit the real autostart."""

    open_url: Callable[[QUrl], bool]
    set_launch_at_login: Callable[[bool], None]
    autostart_location: Callable[[], str]
    lan_addresses: Callable[[], list[str]]
    host_name: Callable[[], str]
