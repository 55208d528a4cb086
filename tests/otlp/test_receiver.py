"""The receiver on its own: back-pressure, connection bounds, throttled failures, clean stop."""

import base64
import socket
import threading
import time

import httpx
import pytest

from desktop_app.core.team.credentials import AuthResult
from desktop_app.otlp import receiver as receiver_module
from desktop_app.otlp.intake import BUSY_AT, OtlpIntake, basic_credentials
from desktop_app.otlp.receiver import OtlpReceiver
from desktop_app.proxy.auth import FailureThrottle
from tests.fixtures.otel_cli import CliRun

AUTH = {"Authorization": "Basic " + base64.b64encode(b"alice:pw").decode(), "Content-Type": "application/json"}


def check(name, password):
    if name != "alice":
        return AuthResult.UNKNOWN_USER, None
    return (AuthResult.OK, "alice") if password == "pw" else (AuthResult.WRONG_PASSWORD, None)


class Running:
    def __init__(self, backlog=0.0, throttle=None):
        self.backlog = backlog
        self.batches = []
        self.refused = []
        self.intake = OtlpIntake(check, self.batches.append, lambda: self.backlog, throttle or FailureThrottle(),
                                 record_content=False, on_refused=lambda *args: self.refused.append(args))
        self.receiver = OtlpReceiver(self.intake, "127.0.0.1", 0)
        self.host, self.port = self.receiver.start()
        self.url = f"http://{self.host}:{self.port}/v1/traces"


@pytest.fixture
def running():
    server = Running()
    yield server
    server.receiver.stop()


def test_a_writer_behind_gets_503_with_retry_after_and_nothing_is_submitted(running):
    running.backlog = BUSY_AT
    response = httpx.post(running.url, content=CliRun(start_ns=time.time_ns()).traces_body(), headers=AUTH)
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert running.batches == [] and running.intake.stats.busy == 1
    running.backlog = 0.0
    again = httpx.post(running.url, content=CliRun(start_ns=time.time_ns()).traces_body(), headers=AUTH)
    assert again.status_code == 200
    assert len(running.batches) == 1


def test_when_every_connection_slot_is_taken_a_new_one_gets_429(monkeypatch):
    monkeypatch.setattr(receiver_module, "MAX_CONNECTIONS", 2)
    server = Running()
    idle = [socket.create_connection((server.host, server.port)) for _ in range(2)]
    try:
        with socket.create_connection((server.host, server.port), timeout=5) as third:
            assert third.recv(200).startswith(b"HTTP/1.1 429")
    finally:
        for sock in idle:
            sock.close()
        server.receiver.stop()


def test_failed_attempts_are_reported_and_slowed_down():
    clock = [0.0]
    throttle = FailureThrottle(free_attempts=1, max_delay=0.2, clock=lambda: clock[0])
    server = Running(throttle=throttle)
    try:
        wrong = {**AUTH, "Authorization": "Basic " + base64.b64encode(b"alice:nope").decode()}
        timings = []
        for _ in range(3):
            started = time.monotonic()
            assert httpx.post(server.url, content=b"{}", headers=wrong).status_code == 401
            timings.append(time.monotonic() - started)
        assert [r[:2] for r in server.refused] == [("alice", AuthResult.WRONG_PASSWORD)] * 3
        assert timings[-1] >= 0.1  # the third failure within the window waits
        assert httpx.post(server.url, content=b"{}", headers=AUTH).status_code == 200  # never locked out
    finally:
        server.receiver.stop()


def test_stop_closes_kept_alive_connections_and_is_idempotent(running):
    with httpx.Client() as client:
        assert client.post(running.url, content=b"{}", headers=AUTH).status_code == 200
        running.receiver.stop()
        running.receiver.stop()
        with pytest.raises(httpx.TransportError):
            client.post(running.url, content=b"{}", headers=AUTH)
    assert not [t for t in threading.enumerate() if t.name == "otlp-receiver"]


@pytest.mark.parametrize(("header", "expected"), [
    ("Basic " + base64.b64encode(b"alice:p:w").decode(), ("alice", "p:w")),
    ("basic " + base64.b64encode(b"bob:").decode(), ("bob", "")),
    ("Basic " + base64.b64encode(b"nocolon").decode(), None),
    ("Basic !!!", None),
    ("Bearer x", None),
    ("Basic", None),
])
def test_basic_credentials(header, expected):
    assert basic_credentials(header) == expected
