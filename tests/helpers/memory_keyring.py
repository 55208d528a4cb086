"""Keyring backends for tests: one that keeps secrets in memory, one that silently forgets them."""

import keyring.backend
import keyring.errors


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A working keyring whose entries live in a dict for the lifetime of the object."""

    priority = 1

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        """Return the stored password or None."""
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store the password."""
        self.entries[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        """Delete the password; a missing entry is an error, as in real backends."""
        try:
            del self.entries[service, username]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(f"no password for {service}/{username}") from None


class NullKeyring(keyring.backend.KeyringBackend):
    """A broken keyring that accepts every secret and keeps none (as some misconfigured desktops do)."""

    priority = 0.1
    viable = False  # never chosen by keyring's auto-detection or chainer; tests select it explicitly

    def get_password(self, service: str, username: str) -> str | None:
        """Never remember anything."""
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        """Pretend to store the password."""

    def delete_password(self, service: str, username: str) -> None:
        """There is never anything to delete."""
        raise keyring.errors.PasswordDeleteError(f"no password for {service}/{username}")
