"""The installation's credential secret: 256 random bits in the OS keyring (or an opt-in file).

Every developer password is derived from this secret (see `credentials`), so it is the one thing
that must stay private. It lives in the OS keyring under service `copilot-insight`, entry
`credential-secret`. Without a working keyring the lead may opt in to a secret file that only its
owner can read: `--secret-file PATH`, or the file `credential-secret` in the data folder, which the
tray application offers to create when no keyring works. Once that file exists it *is* the choice:
every command on that data folder uses it. There is never a silent plaintext fallback.

The file's format (also for one made by hand): one line holding the 32 random bytes, written as
base64 (44 characters, standard or URL-safe alphabet, e.g. `openssl rand -base64 32`) or as 64 hex
digits (`openssl rand -hex 32`); surrounding white space is ignored. The file must be private to
its owner (mode 0600 on POSIX).
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
DATA_FOLDER_SECRET = "credential-secret"  # noqa: S105 - a file name; the file the no-keyring choice creates in the data folder
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
SECRET_FORMAT = (f"It must hold one line: {SECRET_BYTES} random bytes written as base64 (44 characters, e.g. from "
                 f"`openssl rand -base64 {SECRET_BYTES}`) or as {SECRET_BYTES * 2} hex digits (`openssl rand -hex "
                 f"{SECRET_BYTES}`).")

NO_KEYRING_HELP = (
    "Copilot Insight keeps the secret that all developer passwords derive from in the system "
    "keyring, and no working keyring was found ({reason}).\n"
    "Options:\n"
    "  - on a desktop, unlock or install the keyring (GNOME Keyring / KWallet, macOS Keychain, "
    "Windows Credential Manager) and try again;\n"
    "  - on a headless server, run inside a Secret Service session (e.g. gnome-keyring under "
    "dbus-run-session);\n"
    "  - or opt in to a secret file readable only by you: --secret-file PATH "
    f"(or {SECRET_FILE_ENV}=PATH), or start the tray application once and choose to keep the secret in the "
    "data folder (every command then uses that file). Anyone who can read that file can compute every password."
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
    """The secret written in `text` (base64 or hex); an error that says what is wrong and what is expected."""
    value = text.strip()
    damaged = f"The secret in {where} cannot be used:"
    if not value:
        raise SecretStoreError(f"{damaged} it is empty. {SECRET_FORMAT}")
    if set(value) <= _HEX_DIGITS and len(value) != SECRET_BYTES * 4 // 3 + 1:  # hex (44 would be base64)
        if len(value) == SECRET_BYTES * 2:
            return bytes.fromhex(value)
        raise SecretStoreError(f"{damaged} it holds {len(value)} hex digits, not {SECRET_BYTES * 2}. {SECRET_FORMAT}")
    try:
        secret = base64.b64decode(value.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError) as exc:
        odd = next((c for c in value if not (c.isascii() and (c.isalnum() or c in "+/-_="))), None)
        what = f"the character {odd!r} is neither base64 nor hex" if odd else "its base64 is incomplete"
        raise SecretStoreError(f"{damaged} {what}. {SECRET_FORMAT}", repr(exc)) from exc
    if len(secret) != SECRET_BYTES:
        raise SecretStoreError(f"{damaged} it holds {len(secret)} bytes ({len(value)} characters), not "
                               f"{SECRET_BYTES}. {SECRET_FORMAT}")
    return secret


class NoKeyringError(SecretStoreError):
    """No working OS keyring: the tray application offers the secret file in the data folder instead."""

    def __init__(self, reason: str, details: str = "") -> None:
        """Explain the options; `reason` is the keyring library's own first line."""
        super().__init__(NO_KEYRING_HELP.format(reason=reason), details)
        self.reason = reason


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


def _no_keyring(exc: BaseException) -> NoKeyringError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return NoKeyringError(reason, repr(exc))


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
            text = self.path.read_bytes().decode("ascii")
        except UnicodeDecodeError as exc:
            raise SecretStoreError(f"The secret in {self.description} cannot be used: it is not plain text. "
                                   f"{SECRET_FORMAT}", repr(exc)) from exc
        except OSError as exc:
            raise SecretStoreError(f"Cannot read the secret file {self.path}: {exc.strerror}.") from exc
        return _decode(text, self.description)

    def save(self, secret: bytes) -> None:
        """Write the secret atomically with mode 0600."""
        try:
            atomic_write_text(self.path, _encode(secret) + "\n")
        except OSError as exc:
            raise SecretStoreError(f"Cannot write the secret file {self.path}: {exc.strerror}.") from exc


def data_folder_secret(data_dir: Path) -> Path:
    """Where the no-keyring choice keeps the secret: `credential-secret` in the data folder."""
    return data_dir / DATA_FOLDER_SECRET


def open_secret_store(secret_file: Path | None, data_dir: Path | None = None) -> SecretStore:
    """Return the file store the user opted in to (`secret_file`, else one in `data_dir`), else the keyring store."""
    if secret_file is not None:
        # Every command would say it: `serve` and the tray say it once, where the proxy starts.
        logger.debug("Using the secret file %s instead of the system keyring (explicit opt-in).", secret_file)
        return FileSecretStore(secret_file)
    if data_dir is not None and (chosen := data_folder_secret(data_dir)).exists():
        logger.debug("Using the secret file %s, chosen when no system keyring worked.", chosen)
        return FileSecretStore(chosen)
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

    def keep_in_file(self, path: Path) -> bytes:
        """From now on keep the secret in the private file `path` (the no-keyring choice); return it.

        An existing file at `path` is used as it is; otherwise a new secret is created there.
        """
        with self._lock:
            store = FileSecretStore(path)
            self._secret = load_or_create_secret(store)
            self._store = store
            return self._secret

    def rotate(self) -> bytes:
        """Replace the stored secret with a new one and return it (every password changes)."""
        with self._lock:
            self._secret = rotate_secret(self._store)
            return self._secret
