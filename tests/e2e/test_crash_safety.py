"""`kill -9` of `serve` under load: the database opens cleanly and keeps every finished request."""

import contextlib
import signal
import threading
import time

import httpx

from desktop_app.core.paths import resolve_paths
from desktop_app.core.store.database import UsageStore
from tests.e2e.harness import COPILOT_API
from tests.e2e.served import start_serve


def _load(client: httpx.Client, finished: dict[str, float], stop: threading.Event) -> None:
    for number in range(10_000):  # bounded; stopped by the kill long before
        if stop.is_set():
            return
        interaction = f"load-{threading.get_ident()}-{number}"
        try:
            response = client.post(f"{COPILOT_API}/chat/completions", headers={
                "X-Interaction-Id": interaction, "X-Initiator": "user", "OpenAI-Intent": "conversation-panel"},
                json={"model": "gpt-4o", "stream": False, "messages": [{"role": "user", "content": "hi"}]})
        except httpx.HTTPError:
            return
        if response.status_code == 200:
            finished[interaction] = time.monotonic()


def test_kill_9_under_load_keeps_every_request_finished_a_second_before(tmp_path, pki, upstream):
    served = start_serve(tmp_path, pki, upstream)
    finished: dict[str, float] = {}
    stop = threading.Event()
    clients = [httpx.Client(proxy=served.proxy_url("alice"), verify=served.trust(), timeout=5)
               for _ in range(4)]
    workers = [threading.Thread(target=_load, args=(c, finished, stop)) for c in clients]
    for worker in workers:
        worker.start()
    time.sleep(3)
    killed_at = time.monotonic()
    served.stop(signal.SIGKILL)
    stop.set()
    for worker in workers:
        worker.join(10)
    for client in clients:
        client.close()
    served.log.drain()

    settled = {i for i, at in dict(finished).items() if at < killed_at - 1.0}
    assert len(settled) > 20, "the load did not get going"
    store = UsageStore.open(resolve_paths(served.data).database)  # opens cleanly after the crash
    try:
        with contextlib.closing(store.read_connection()) as conn:
            stored = {row[0] for row in conn.execute(
                "SELECT interaction_id FROM usage_events WHERE developer = ?", ("alice",))}
    finally:
        store.close()
    assert settled <= stored, f"{len(settled - stored)} finished request(s) lost"
