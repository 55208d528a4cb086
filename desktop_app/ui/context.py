"""What every part of the GUI shares: the paths, the secret, the worker pool, the error presenter, the OS, the CA."""

from dataclasses import dataclass

from desktop_app.core.paths import AppPaths
from desktop_app.core.team.secrets import CachedSecret
from desktop_app.ui.engine import CertificateAuthority, DesktopServices
from desktop_app.ui.errors import ErrorPresenter
from desktop_app.ui.tasks import TaskRunner


@dataclass(frozen=True)
class UiContext:
    """The application's shared services, built once by `application.TrayApplication`."""

    paths: AppPaths
    secret: CachedSecret
    tasks: TaskRunner
    errors: ErrorPresenter
    services: DesktopServices
    ca: CertificateAuthority
