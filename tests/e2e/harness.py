"""Shared pieces of the end-to-end tests: a team, a running proxy, clients that use it."""

import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from desktop_app.core.models import UsageEvent
from desktop_app.core.paths import AppPaths
from desktop_app.core.team.credentials import derive_password
from desktop_app.core.team.directory import add_developer, set_enabled
from desktop_app.core.team.secrets import KeyringSecretStore, load_or_create_secret
from desktop_app.core.team.settings import Settings, save_settings
from desktop_app.proxy.service import ProxyService, ServiceOptions
from tests.fakes.certs import TestPki

REDIRECT_SCRIPT = Path(__file__).resolve().parent.parent / "fakes" / "redirect.py"
COPILOT_API = "https://api.githubcopilot.com"
COPILOT_PROXY = "https://copilot-proxy.githubusercontent.com"
COPILOT_TELEMETRY = "https://copilot-telemetry.githubusercontent.com"
BEARER = "tid=0123456789abcdef;exp=1999999999;sku=copilot_enterprise_seat:cafebabecafebabe"


class EventLog:
    """A usage consumer that tests can wait on."""

    def __init__(self) -> None:
        self.events: list[UsageEvent] = []
        self._changed = threading.Condition()

    def consume(self, batch) -> None:
        with self._changed:
            self.events.extend(batch)
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[UsageEvent]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.events) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} usage events, got {len(self.events)}: {self.events}")
                self._changed.wait(left)
            return list(self.events)


@dataclass
class Team:
    paths: AppPaths
    settings: Settings
    passwords: dict[str, str]


def make_team(paths: AppPaths, names=("alice", "bob", "carol"), disabled=("carol",)) -> Team:
    settings = Settings()
    for name in names:
        settings = add_developer(settings, name)
    for name in disabled:
        settings = set_enabled(settings, name, enabled=False)
    save_settings(paths.settings_file, settings)
    secret = load_or_create_secret(KeyringSecretStore())
    passwords = {d.name: derive_password(secret, d.name, d.generation) for d in settings.developers}
    return Team(paths, settings, passwords)


@dataclass
class RunningProxy:
    service: ProxyService
    port: int
    team: Team
    pki: TestPki
    events: EventLog
    errors: list[str] = field(default_factory=list)

    @property
    def mitm_ca(self) -> Path:
        return self.team.paths.confdir / "mitmproxy-ca-cert.pem"

    def url(self, name: str, password: str | None = None) -> str:
        secret = self.team.passwords[name] if password is None else password
        return f"http://{name}:{secret}@127.0.0.1:{self.port}"

    def trust(self, *cafiles: Path) -> ssl.SSLContext:
        context = ssl.create_default_context()
        for cafile in cafiles or (self.mitm_ca,):
            context.load_verify_locations(cafile=str(cafile))
        return context

    def client(self, name: str, *, http2: bool = False, password: str | None = None, **kwargs) -> httpx.Client:
        kwargs.setdefault("verify", self.trust())
        return httpx.Client(proxy=self.url(name, password), http2=http2, timeout=10, **kwargs)


def start_proxy(team: Team, pki: TestPki, upstream_port: int, *, extra_set=(), port: int = 0) -> RunningProxy:
    events = EventLog()
    errors: list[str] = []
    options = ServiceOptions(
        listen_host="127.0.0.1", listen_port=port,
        set_options=(f"fake_upstream=127.0.0.1:{upstream_port}", f"ssl_verify_upstream_trusted_ca={pki.ca_cert}",
                     *extra_set),
        scripts=(REDIRECT_SCRIPT,),
    )
    service = ProxyService(team.paths, team.settings, lambda: load_or_create_secret(KeyringSecretStore()), options,
                           listeners=[events.consume], on_error=errors.append)
    _, bound = service.start()
    return RunningProxy(service, bound, team, pki, events, errors)


def chat_body(stream: bool = True, model: str = "gpt-4o") -> dict:
    return {"model": model, "stream": stream, "messages": [{"role": "user", "content": "hello"}]}


def completion_body(stream: bool = True) -> dict:
    return {"prompt": "def add(a, b):", "stream": stream, "extra": {"language": "python"}}


def wait_until(condition, timeout: float = 15.0) -> None:
    """Poll `condition` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.05)
