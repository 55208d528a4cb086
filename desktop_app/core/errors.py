"""The application's small error family: a message a person understands plus technical details.

Every error the user may see derives from `AppError`. The CLI prints `user_message` (and logs the
details with `--log-level debug`); the GUI shows both in one dialog with "Copy details".
"""


class AppError(Exception):
    """An error with a sentence for people and details for a bug report."""

    def __init__(self, user_message: str, details: str = "") -> None:
        """Keep the user-facing message and optional technical details."""
        super().__init__(user_message)
        self.user_message = user_message
        self.details = details


class ConfigError(AppError):
    """The settings file cannot be read, parsed or validated."""


class SecretStoreError(AppError):
    """The credential secret cannot be read or stored (no keyring, unsafe secret file, ...)."""


class StoreError(AppError):
    """The usage database cannot be opened, migrated, read or written."""


class TeamError(AppError):
    """A developer operation is not possible (unknown name, duplicate, invalid name)."""


class ProxyStartError(AppError):
    """The proxy could not start listening (port in use, bad address, invalid option)."""
