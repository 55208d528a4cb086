import base64
import os
import stat

import keyring
import keyring.backends.fail
import pytest

from desktop_app.core.errors import SecretStoreError
from desktop_app.core.team.secrets import (
    KEYRING_ENTRY,
    KEYRING_SERVICE,
    SECRET_BYTES,
    SECRET_FILE_ENV,
    CachedSecret,
    FileSecretStore,
    KeyringSecretStore,
    NoKeyringError,
    data_folder_secret,
    load_or_create_secret,
    open_secret_store,
    rotate_secret,
)
from tests.helpers.memory_keyring import MemoryKeyring, NullKeyring

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture
def use_backend():
    previous = keyring.get_keyring()

    def select(backend):
        keyring.set_keyring(backend)
        return backend

    yield select
    keyring.set_keyring(previous)


@pytest.fixture
def memory(use_backend):
    return use_backend(MemoryKeyring())


def test_keyring_secret_is_created_once(memory):
    first = load_or_create_secret(KeyringSecretStore())
    assert isinstance(first, bytes)
    assert len(first) == SECRET_BYTES
    assert list(memory.entries) == [(KEYRING_SERVICE, KEYRING_ENTRY)]
    assert load_or_create_secret(KeyringSecretStore()) == first
    assert base64.urlsafe_b64decode(memory.entries[KEYRING_SERVICE, KEYRING_ENTRY]) == first


def test_rotate_secret_replaces_it(memory):
    store = KeyringSecretStore()
    first = load_or_create_secret(store)
    rotated = rotate_secret(store)
    assert rotated != first
    assert len(rotated) == SECRET_BYTES
    assert load_or_create_secret(store) == rotated


@pytest.mark.parametrize("stored", [
    "not base64 at all!",
    base64.urlsafe_b64encode(b"short").decode(),
    "",
], ids=["garbage", "wrong-length", "empty"])
def test_damaged_keyring_value_is_an_error(memory, stored):
    memory.set_password(KEYRING_SERVICE, KEYRING_ENTRY, stored)
    with pytest.raises(SecretStoreError, match="cannot be used") as caught:
        load_or_create_secret(KeyringSecretStore())
    assert "It must hold one line: 32 random bytes written as base64" in caught.value.user_message
    assert memory.get_password(KEYRING_SERVICE, KEYRING_ENTRY) == stored  # never silently replaced


def test_keyring_that_drops_secrets_is_detected(use_backend):
    use_backend(NullKeyring())
    with pytest.raises(SecretStoreError) as caught:
        load_or_create_secret(KeyringSecretStore())
    message = caught.value.user_message
    assert "NullKeyring does not keep secrets" in message
    assert "Options:" in message
    assert "--secret-file" in message


def test_missing_keyring_explains_the_options(use_backend):
    use_backend(keyring.backends.fail.Keyring())
    with pytest.raises(SecretStoreError) as caught:
        load_or_create_secret(KeyringSecretStore())
    message = caught.value.user_message
    assert "no working keyring was found" in message
    assert "--secret-file" in message
    assert SECRET_FILE_ENV in message
    assert "NoKeyringError" in caught.value.details


@posix_only
def test_secret_file_is_created_private(tmp_path):
    path = tmp_path / "secrets" / "secret.key"
    secret = load_or_create_secret(FileSecretStore(path))
    assert len(secret) == SECRET_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert base64.urlsafe_b64decode(path.read_text(encoding="ascii").strip()) == secret


def test_secret_file_round_trip(tmp_path):
    path = tmp_path / "secret.key"
    first = load_or_create_secret(FileSecretStore(path))
    assert load_or_create_secret(FileSecretStore(path)) == first
    rotated = rotate_secret(FileSecretStore(path))
    assert rotated != first
    assert FileSecretStore(path).load() == rotated


@posix_only
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_readable_secret_file_is_refused(tmp_path, mode):
    path = tmp_path / "secret.key"
    load_or_create_secret(FileSecretStore(path))
    path.chmod(mode)
    with pytest.raises(SecretStoreError, match="chmod 600") as caught:
        FileSecretStore(path).load()
    assert "can be read by other users" in caught.value.user_message


def test_damaged_secret_file_is_an_error(tmp_path):
    path = tmp_path / "secret.key"
    load_or_create_secret(FileSecretStore(path))
    path.write_text("garbage!\n", encoding="ascii")
    path.chmod(0o600)
    with pytest.raises(SecretStoreError, match="the character '!' is neither base64 nor hex"):
        FileSecretStore(path).load()


SECRET = bytes(range(32))


@pytest.mark.parametrize("written", [
    base64.urlsafe_b64encode(SECRET).decode(),  # what Copilot Insight writes
    base64.b64encode(SECRET).decode(),  # `openssl rand -base64 32`
    SECRET.hex(),  # `openssl rand -hex 32`
    SECRET.hex().upper(),
    "  " + base64.b64encode(SECRET).decode() + "\r\n\n",
], ids=["urlsafe", "standard", "hex", "HEX", "white-space"])
def test_a_hand_made_secret_file_in_a_documented_format_is_used(tmp_path, written):
    path = tmp_path / "secret.key"
    path.write_text(written, encoding="ascii")
    path.chmod(0o600)
    assert FileSecretStore(path).load() == SECRET


@pytest.mark.parametrize(("written", "said"), [
    ("", "it is empty."),
    (base64.b64encode(SECRET[:24]).decode(), "it holds 24 bytes (32 characters), not 32."),
    (SECRET.hex()[:63], "it holds 63 hex digits, not 64."),
    ("QUJD", "it holds 3 bytes (4 characters), not 32."),
    ("QUJ", "its base64 is incomplete"),
    ("ça-va", "it is not plain text."),
    ("a b c", "the character ' ' is neither base64 nor hex"),
], ids=["empty", "short", "short-hex", "short-base64", "odd", "not-ascii", "spaces"])
def test_a_wrong_secret_file_says_what_is_wrong_and_what_it_must_hold(tmp_path, written, said):
    path = tmp_path / "secret.key"
    path.write_bytes(written.encode())
    path.chmod(0o600)
    with pytest.raises(SecretStoreError) as caught:
        FileSecretStore(path).load()
    message = caught.value.user_message
    assert said in message, message
    assert "`openssl rand -base64 32`" in message and "`openssl rand -hex 32`" in message
    assert path.read_bytes() == written.encode()  # never replaced


def test_the_data_folder_secret_file_is_the_remembered_choice(tmp_path, memory):
    data = tmp_path / "data"
    assert isinstance(open_secret_store(None, data), KeyringSecretStore)  # no file: the keyring
    cached = CachedSecret(KeyringSecretStore())
    secret = cached.keep_in_file(data_folder_secret(data))
    assert cached() == secret and memory.entries == {}
    chosen = open_secret_store(None, data)  # every later start and command
    assert isinstance(chosen, FileSecretStore) and chosen.path == data / "credential-secret"
    assert chosen.load() == secret
    assert isinstance(open_secret_store(tmp_path / "other", data), FileSecretStore)  # --secret-file still wins
    assert open_secret_store(tmp_path / "other", data).path == tmp_path / "other"


def test_keep_in_file_uses_a_file_that_is_already_there(tmp_path):
    path = tmp_path / "credential-secret"
    path.write_text(SECRET.hex(), encoding="ascii")
    path.chmod(0o600)
    assert CachedSecret(KeyringSecretStore()).keep_in_file(path) == SECRET


def test_no_keyring_is_its_own_error_with_the_librarys_reason(use_backend):
    use_backend(keyring.backends.fail.Keyring())
    with pytest.raises(NoKeyringError) as caught:
        KeyringSecretStore().load()
    assert caught.value.reason.startswith("No recommended backend was available")
    assert "start the tray application once and choose to keep the secret in the data folder" in \
        caught.value.user_message


def test_open_secret_store_prefers_an_explicit_file(tmp_path, memory):
    chosen = open_secret_store(tmp_path / "secret.key")
    assert isinstance(chosen, FileSecretStore)
    assert chosen.path == tmp_path / "secret.key"
    load_or_create_secret(chosen)
    assert memory.entries == {}
    assert isinstance(open_secret_store(None), KeyringSecretStore)


def test_cached_secret_reads_once_creates_once_and_rotates(memory_keyring):
    from concurrent.futures import ThreadPoolExecutor

    from desktop_app.core.team.secrets import CachedSecret, KeyringSecretStore

    cached = CachedSecret(KeyringSecretStore())
    assert not cached.loaded
    with ThreadPoolExecutor(8) as pool:
        seen = set(pool.map(lambda _i: cached(), range(32)))
    assert len(seen) == 1  # concurrent first calls agree on one new secret
    assert cached.loaded
    assert KeyringSecretStore().load() in seen
    rotated = cached.rotate()
    assert rotated not in seen
    assert cached() == rotated == KeyringSecretStore().load()
