import math
import re

import pytest

from desktop_app.core.team import credentials
from desktop_app.core.team.credentials import (
    ALPHABET,
    AuthResult,
    CredentialChecker,
    derive_password,
    normalize_password,
    proxy_url,
)
from desktop_app.core.team.settings import Developer

SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))
CREATED = "2026-01-31T09:00:00+00:00"


def developer(name, generation=0, enabled=True):
    return Developer(name=name, created=CREATED, generation=generation, enabled=enabled)


@pytest.fixture
def checker():
    return CredentialChecker(SECRET, [developer("Alice"), developer("bob", generation=3),
                                      developer("carol", enabled=False)])


def test_derive_password_is_deterministic():
    assert derive_password(SECRET, "alice", 0) == derive_password(SECRET, "alice", 0)


def test_derive_password_differs_per_name_generation_and_secret():
    base = derive_password(SECRET, "alice", 0)
    variants = {
        derive_password(SECRET, "bob", 0),
        derive_password(SECRET, "alice", 1),
        derive_password(OTHER_SECRET, "alice", 0),
    }
    assert base not in variants
    assert len(variants) == 3


def test_password_format_and_strength():
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    password = derive_password(SECRET, "alice", 0)
    assert re.fullmatch(r"[0-9a-z]{4}(-[0-9a-z]{4}){5}", password), password
    chars = password.replace("-", "")
    assert len(chars) == 24
    assert set(chars) <= set(ALPHABET)
    assert not set(chars) & set("ilou")
    assert len(chars) * math.log2(len(ALPHABET)) >= 100


def test_passwords_use_the_whole_alphabet():
    seen = set()
    for generation in range(200):
        seen |= set(derive_password(SECRET, "alice", generation).replace("-", ""))
    assert seen == set(ALPHABET)


TYPED = "k3p0-a1b1-z9x8-w7v6-t5s4-r3q2"


@pytest.mark.parametrize("typed", [
    TYPED,
    TYPED.upper(),
    TYPED.replace("-", ""),
    "  " + TYPED.replace("-", " ") + "  ",
    "k3pO-albI-z9x8-w7v6-t5s4-r3q2",
], ids=["canonical", "upper", "no-dashes", "spaces", "look-alikes"])
def test_normalize_password_is_forgiving(typed):
    assert normalize_password(typed) == "k3p0a1b1z9x8w7v6t5s4r3q2"


def test_checker_accepts_right_password_case_insensitive_name(checker):
    password = derive_password(SECRET, "Alice", 0)
    assert checker.check("Alice", password) == (AuthResult.OK, "Alice")
    assert checker.check("alice", password.upper().replace("-", " ")) == (AuthResult.OK, "Alice")
    assert checker.check("ALICE", password) == (AuthResult.OK, "Alice")


def test_checker_uses_the_current_generation(checker):
    assert checker.check("bob", derive_password(SECRET, "bob", 3)) == (AuthResult.OK, "bob")
    assert checker.check("bob", derive_password(SECRET, "bob", 2)) == (AuthResult.WRONG_PASSWORD, None)


def test_checker_wrong_password(checker):
    assert checker.check("Alice", derive_password(SECRET, "bob", 3)) == (AuthResult.WRONG_PASSWORD, None)
    assert checker.check("Alice", derive_password(OTHER_SECRET, "Alice", 0)) == (AuthResult.WRONG_PASSWORD, None)
    assert checker.check("Alice", "") == (AuthResult.WRONG_PASSWORD, None)


def test_checker_unknown_user(checker):
    assert checker.check("mallory", derive_password(SECRET, "mallory", 0)) == (AuthResult.UNKNOWN_USER, None)


def test_checker_disabled_only_with_the_right_password(checker):
    right = derive_password(SECRET, "carol", 0)
    assert checker.check("carol", right) == (AuthResult.DISABLED, None)
    assert checker.check("carol", "wrong-pass") == (AuthResult.WRONG_PASSWORD, None)


def test_check_compares_in_constant_time_even_for_unknown_users(checker, monkeypatch):
    calls = []
    real = credentials.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(credentials.hmac, "compare_digest", spy)
    assert checker.check("Alice", derive_password(SECRET, "Alice", 0))[0] is AuthResult.OK
    assert checker.check("nobody", "abcd-efgh")[0] is AuthResult.UNKNOWN_USER
    assert checker.check("carol", "x")[0] is AuthResult.WRONG_PASSWORD
    assert len(calls) == 3
    unknown_typed, unknown_expected = calls[1]
    assert unknown_typed == b"abcdefgh"
    assert len(unknown_expected) == 24  # compared against a decoy of a real password's length


@pytest.mark.parametrize(("host", "port", "name", "password", "expected"), [
    ("127.0.0.1", 8080, "alice", "k3p9-abcd", "http://alice:k3p9-abcd@127.0.0.1:8080"),
    ("proxy.lan", 3128, "a@b:c", "p/w?#%", "http://a%40b%3Ac:p%2Fw%3F%23%25@proxy.lan:3128"),
    ("::1", 8080, "bob", "pw", "http://bob:pw@[::1]:8080"),
    ("fe80::1", 9000, "bob smith", "p w", "http://bob%20smith:p%20w@[fe80::1]:9000"),
])
def test_proxy_url(host, port, name, password, expected):
    assert proxy_url(host, port, name, password) == expected
