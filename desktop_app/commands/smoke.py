"""`copilot-insight --smoke-test`: start the real engine, send one request through it, exit 0 or 1.

Owns the self-test of an installed (frozen) build. It runs the same `ProxyService` that `serve` and
the tray run, on 127.0.0.1 and a port the OS picks, with a fresh temporary data folder and secret
file that are deleted afterwards: a smoke test never reads or changes the installation's settings,
data, CA or keyring, whatever `--data-dir` says. One developer is added and one HTTPS request to the
reserved host `insight.check` goes through the proxy with that developer's Basic credentials,
trusting nothing but the proxy's own new CA. A pass shows that the build can start mitmproxy, make
its CA, authenticate, intercept TLS and answer. The client is the standard library (`http.client`),
so a bundle needs nothing extra for it. It never opens a window and needs no display.
"""

import argparse
import base64
import http.client
import json
import logging
import ssl
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from desktop_app.core.ca import CHECK_HOST
from desktop_app.core.errors import AppError
from desktop_app.core.paths import AppPaths, ensure_private_dir
from desktop_app.core.team.credentials import derive_password
from desktop_app.core.team.directory import add_developer, require_developer
from desktop_app.core.team.secrets import CachedSecret, FileSecretStore
from desktop_app.core.team.settings import Settings, save_settings

logger = logging.getLogger(__name__)

SMOKE_DEVELOPER = "smoke-test"
LISTEN_HOST = "127.0.0.1"
DEFAULT_TIMEOUT = 15.0  # seconds, for the start and for the request each


class SmokeTestError(Exception):
    """A step of the smoke test did not give what it should; the message says which and why."""


@dataclass(frozen=True)
class Team:
    """The throw-away installation the smoke test runs against."""

    paths: AppPaths
    settings: Settings
    secret: CachedSecret
    password: str


@dataclass(frozen=True)
class SmokeResult:
    """The outcome: passed or not, and the one line that says so."""

    passed: bool
    message: str


def trusted_ca(paths: AppPaths) -> Path:
    """The one CA the smoke test's client trusts: the proxy's own, made in the temporary folder."""
    return paths.ca_certificate


def make_team(folder: Path) -> Team:
    """Create settings with one developer and a secret file in `folder`; return them with the password."""
    data = ensure_private_dir(folder / "data")
    paths = AppPaths(config_dir=data, data_dir=data)
    settings = add_developer(Settings(), SMOKE_DEVELOPER)
    save_settings(paths.settings_file, settings)
    secret = CachedSecret(FileSecretStore(folder / "secret"))
    developer = require_developer(settings, SMOKE_DEVELOPER)
    password = derive_password(secret(), developer.name, developer.generation)
    return Team(paths, settings, secret, password)


def _basic(name: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode("ascii")


def ask_check(port: int, password: str, cafile: Path, timeout: float) -> dict[str, object]:
    """GET https://insight.check/json through the proxy on `port`, trusting only `cafile`; return the JSON.

    Raises:
        SmokeTestError: The tunnel, the TLS handshake or the answer failed.
    """
    context = ssl.create_default_context(cafile=str(cafile))
    connection = http.client.HTTPSConnection(LISTEN_HOST, port, timeout=timeout, context=context)
    connection.set_tunnel(CHECK_HOST, 443, headers={"Proxy-Authorization": _basic(SMOKE_DEVELOPER, password)})
    try:
        connection.request("GET", "/json", headers={"Accept": "application/json"})
        response = connection.getresponse()
        body = response.read(65536)
    except ssl.SSLError as exc:
        raise SmokeTestError(f"the TLS handshake with https://{CHECK_HOST}/ through the proxy failed ({exc})") from exc
    except OSError as exc:
        raise SmokeTestError(f"the request to https://{CHECK_HOST}/ through the proxy failed ({exc})") from exc
    finally:
        connection.close()
    if response.status != 200:
        raise SmokeTestError(f"https://{CHECK_HOST}/ answered HTTP {response.status} {response.reason}")
    try:
        answer = json.loads(body)
    except ValueError as exc:
        raise SmokeTestError(f"https://{CHECK_HOST}/json did not answer JSON: {body[:200]!r}") from exc
    if not isinstance(answer, dict):
        raise SmokeTestError(f"https://{CHECK_HOST}/json answered {answer!r}, not an object")
    return answer


def verify_answer(answer: dict[str, object]) -> None:
    """Check that the proxy recognised the smoke-test developer over TLS.

    Raises:
        SmokeTestError: It named someone else or did not see TLS.
    """
    if answer.get("developer") != SMOKE_DEVELOPER:
        raise SmokeTestError(f"the proxy answered for {answer.get('developer')!r}, not {SMOKE_DEVELOPER!r}")
    if answer.get("tls") is not True:
        raise SmokeTestError("the proxy did not see the check over TLS")


def _through_proxy(team: Team, timeout: float) -> str:
    """Start the engine for `team`, ask the check through it and stop it; return what was measured."""
    from desktop_app.proxy.service import ProxyService, ServiceOptions  # noqa: PLC0415 - a bundle missing
    # a module must fail as a smoke-test result, not as a traceback before the test runs

    errors: list[str] = []
    options = ServiceOptions(LISTEN_HOST, 0, setup_page=False)
    service = ProxyService(team.paths, team.settings, team.secret, options, on_error=errors.append)
    started = time.perf_counter()
    host, port = service.start(timeout)
    start_seconds = time.perf_counter() - started
    try:
        asked = time.perf_counter()
        answer = ask_check(port, team.password, trusted_ca(team.paths), timeout)
        request_seconds = time.perf_counter() - asked
        verify_answer(answer)
    finally:
        service.stop()
    if errors:
        raise SmokeTestError(f"mitmproxy reported an error: {errors[0]}")
    return (f"the proxy started on {host}:{port} in {start_seconds:.2f} s and answered https://{CHECK_HOST}/ "
            f"for developer '{SMOKE_DEVELOPER}' through its own CA in {request_seconds:.2f} s")


def run_smoke_test(timeout: float = DEFAULT_TIMEOUT) -> SmokeResult:
    """Run the whole smoke test in a temporary folder that is deleted afterwards."""
    began = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="copilot-insight-smoke-", ignore_cleanup_errors=True) as folder:
            detail = _through_proxy(make_team(Path(folder)), timeout)
    except SmokeTestError as exc:
        return SmokeResult(passed=False, message=f"Smoke test failed: {exc}.")
    except AppError as exc:
        logger.debug("Details: %s", exc.details)
        return SmokeResult(passed=False, message=f"Smoke test failed: {exc.user_message}")
    except Exception as exc:
        logger.debug("Smoke test error", exc_info=True)
        return SmokeResult(passed=False, message=f"Smoke test failed: {type(exc).__name__}: {exc}")
    return SmokeResult(passed=True, message=f"Smoke test passed in {time.perf_counter() - began:.2f} s: {detail}.")


def smoke_test(args: argparse.Namespace, _paths: AppPaths) -> int:
    """Run the smoke test, print its one-line result and return 0 if it passed, else 1."""
    if args.data_dir is not None or args.secret_file is not None:
        logger.info("The smoke test runs in a temporary folder: --data-dir and --secret-file are not used.")
    result = run_smoke_test()
    _say(sys.stdout if result.passed else sys.stderr, result.message)
    return 0 if result.passed else 1


def _say(stream: TextIO | None, text: str) -> None:
    """Print one line; a Windows GUI executable has no console streams, and then only the exit code tells."""
    if stream is not None:
        stream.write(text + "\n")
        stream.flush()
