"""The installation's credential secret: 256 random bits in the OS keyring (or an opt-in file).

Every developer password is derived from this secret (see `credentials`), so it is the one thing
that must stay private. It lives in the OS keyring under service `copilot-insight`, entry
`credential-secret`. Headless servers without a keyring may opt in to a secret file that only
its owner can read; there is never a silent plaintext fallback.
"""

import base64
import binascii
import logging
import secrets
import threading
from pathlib import Path
from typing import Protocol

import keyring
import keyring.errors

from desktop_app.core.errors import SecretStoreError
from desktop_app.core.fileio import atomic_write_text, is_private_file

logger = logging.getLogger(__name__)

KEYRING_SERVICE = "copilot-insight"
KEYRING_ENTRY = "credential-secret"
SECRET_FILE_ENV = "COPILOT_INSIGHT_SECRET_FILE"  # noqa: S105 - a variable name
SECRET_BYTES = 32

NO_KEYRING_HELP = (
    "Copilot Insight keeps the secret that all developer passwords derive from in the system "
    "keyring, and no working keyring was found ({reason}).\n"
    "Options:\n"
    "  - on a desktop, unlock or install the keyring (GNOME Keyring / KWallet, macOS Keychain, "
    "Windows Credential Manager) and try again;\n"
    "  - on a headless server, run inside a Secret Service session (e.g. gnome-keyring under "
    "dbus-run-session);\n"
    "  - or opt in to a secret file readable only by you: --secret-file PATH "
    f"(or {SECRET_FILE_ENV}=PATH). Anyone who can read that file can compute every password."
)


class SecretStore(Protocol):
    """Somewhere the secret can be kept."""

    description: str

    def load(self) -> bytes | None:
        """Return the stored secret, or None if none was stored yet."""
        ...

    def save(self, secret: bytes) -> None:
        """Store `secret`, replacing any previous one."""
        ...


def _encode(secret: bytes) -> str:
    return base64.urlsafe_b64encode(secret).decode("ascii")


def _decode(text: str, where: str) -> bytes:
    try:
        secret = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise SecretStoreError(f"The secret in {where} is damaged and cannot be read.", repr(exc)) from exc
    if len(secret) != SECRET_BYTES:
        raise SecretStoreError(f"The secret in {where} is damaged (wrong length).")
    return secret


class KeyringSecretStore:
    """The secret in the OS keyring (Secret Service, Keychain, Credential Manager)."""

    description = f"the system keyring (service '{KEYRING_SERVICE}')"

    def load(self) -> bytes | None:
        """Return the secret from the keyring, or None if the keyring holds none."""
        try:
            text = keyring.get_password(KEYRING_SERVICE, KEYRING_ENTRY)
        except keyring.errors.KeyringError as exc:
            raise _no_keyring(exc) from exc
        return None if text is None else _decode(text, self.description)

    def save(self, secret: bytes) -> None:
        """Store the secret and read it back, so a backend that silently drops it is caught."""
        try:
            keyring.set_password(KEYRING_SERVICE, KEYRING_ENTRY, _encode(secret))
            stored = keyring.get_password(KEYRING_SERVICE, KEYRING_ENTRY)
        except keyring.errors.KeyringError as exc:
            raise _no_keyring(exc) from exc
        if stored is None or _decode(stored, self.description) != secret:
            raise _no_keyring(RuntimeError(f"{type(keyring.get_keyring()).__name__} does not keep secrets"))


def _no_keyring(exc: BaseException) -> SecretStoreError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return SecretStoreError(NO_KEYRING_HELP.format(reason=reason), repr(exc))


class FileSecretStore:
    """The secret in a file the user explicitly chose; refused unless only its owner can read it."""

    def __init__(self, path: Path) -> None:
        """Use the secret file at `path` (created on first use)."""
        self.path = path.expanduser().absolute()
        self.description = f"the secret file {self.path}"

    def load(self) -> bytes | None:
        """Return the secret from the file, or None if the file does not exist yet."""
        if not self.path.exists():
            return None
        if not is_private_file(self.path):
            raise SecretStoreError(
                f"The secret file {self.path} can be read by other users, so it is not used. "
                f"Make it private with: chmod 600 '{self.path}'")
        try:
            return _decode(self.path.read_text(encoding="ascii"), self.description)
        except OSError as exc:
            raise SecretStoreError(f"Cannot read the secret file {self.path}: {exc.strerror}.") from exc

    def save(self, secret: bytes) -> None:
        """Write the secret atomically with mode 0600."""
        try:
            atomic_write_text(self.path, _encode(secret) + "\n")
        except OSError as exc:
            raise SecretStoreError(f"Cannot write the secret file {self.path}: {exc.strerror}.") from exc


def open_secret_store(secret_file: Path | None) -> SecretStore:
    """Return the file store when the user opted in to one, else the keyring store."""
    if secret_file is not None:
        # Every command would say it: `serve` and the tray say it once, where the proxy starts.
        logger.debug("Using the secret file %s instead of the system keyring (explicit opt-in).", secret_file)
        return FileSecretStore(secret_file)
    return KeyringSecretStore()


def load_or_create_secret(store: SecretStore) -> bytes:
    """Return the installation's secret, creating and storing a new random one on first use."""
    secret = store.load()
    if secret is None:
        secret = secrets.token_bytes(SECRET_BYTES)
        store.save(secret)
        logger.info("Created a new credential secret in %s.", store.description)
    return secret


def rotate_secret(store: SecretStore) -> bytes:
    """Replace the secret with a new random one: every developer's password changes."""
    secret = secrets.token_bytes(SECRET_BYTES)
    store.save(secret)
    logger.warning("The credential secret was rotated: every developer needs a new password.")
    return secret


class CachedSecret:
    """The installation's secret, read from its store at most once per process.

    `serve`, the commands and the tray application pass `cached` as the `load_secret` callable; the
    first call may be slow (a keyring over D-Bus may ask the user to unlock it), later calls are not.
    A lock makes concurrent first calls read (or create) the secret once.
    """

    def __init__(self, store: SecretStore) -> None:
        """Remember the store; nothing is read yet."""
        self._store = store
        self._secret: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        """Return the secret, creating it on first use."""
        with self._lock:
            if self._secret is None:
                self._secret = load_or_create_secret(self._store)
            return self._secret

    @property
    def loaded(self) -> bool:
        """Whether the secret has been read (so calling this object is instant)."""
        return self._secret is not None

    def rotate(self) -> bytes:
        """Replace the stored secret with a new one and return it (every password changes)."""
        with self._lock:
            self._secret = rotate_secret(self._store)
            return self._secret
