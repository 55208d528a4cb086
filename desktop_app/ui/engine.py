"""What the GUI needs from the proxy engine, as a Protocol: the UI never imports the proxy layer.

`app.py`'s wiring (the `tray` command) supplies an implementation around `ProxyService`; tests may
supply their own. Both methods block and are only ever called on a worker thread.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QUrl

from desktop_app.ui.bridge import EngineBridge


@dataclass(frozen=True)
class EngineStatus:
    """A running engine: where it listens and whether it records prompts and answers."""

    host: str
    port: int
    records_content: bool


class Engine(Protocol):
    """Starts and stops the proxy with the settings as they are on disk at start time."""

    def start(self) -> EngineStatus:
        """Start listening; raise `AppError` (e.g. `ProxyStartError`) with the fix when it cannot."""
        ...

    def stop(self) -> None:
        """Stop listening and record what is still queued; a no-op when not running."""
        ...


EngineFactory = Callable[[EngineBridge], Engine]


@dataclass(frozen=True)
class DesktopServices:
    """OS services the GUI uses, injected so tests never open a browser or edit the real autostart."""

    open_url: Callable[[QUrl], bool]
    set_launch_at_login: Callable[[bool], None]
    autostart_location: Callable[[], str]
    lan_addresses: Callable[[], list[str]]
    host_name: Callable[[], str]
