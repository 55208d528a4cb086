"""Two `serve` processes, each with its own data folder, into one PostgreSQL (issue 17, end to end).

A developer added on one instance authenticates on the other; PostgreSQL is stopped while one
instance records (and that instance is restarted meanwhile), started again, and the report then
holds exactly what was sent: nothing lost, nothing counted twice.
"""

import csv
import io
import json
import shutil
import time
from datetime import date

import httpx
import pytest

from tests.e2e.harness import BEARER, COPILOT_API, chat_body
from tests.e2e.served import cli, serve_env, start_serve
from tests.helpers.postgres import PostgresServer


@pytest.fixture(scope="module")
def server():
    """A server of this module's own: the tests stop it and start it again."""
    running = PostgresServer().start()
    yield running
    running.cleanup()


def instance_env(tmp_path, name, url):
    env = {**serve_env(tmp_path / name), "COPILOT_INSIGHT_DATABASE": url}
    home = tmp_path / name / "data"
    home.mkdir(parents=True)
    (home / "settings.json").write_text(json.dumps({"schema_version": 4, "instance": name}))
    return env


def send(served, name, password, count):
    proxy = f"http://{name}:{password}@127.0.0.1:{served.port}"
    with httpx.Client(proxy=proxy, verify=served.trust(), timeout=20) as client:
        for _ in range(count):
            response = client.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=False),
                                   headers={"Authorization": f"Bearer {BEARER}"})
            assert response.status_code == 200, response.text


def status_code(served, name, password):
    proxy = f"http://{name}:{password}@127.0.0.1:{served.port}"
    try:
        with httpx.Client(proxy=proxy, verify=served.trust(), timeout=20) as client:
            return client.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=False),
                               headers={"Authorization": f"Bearer {BEARER}"}).status_code
    except httpx.ProxyError as refused:  # the CONNECT was answered 407: not (yet) a developer there
        return 407 if "407" in str(refused) else 0


def wait_until(condition, timeout=30.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def add(env, name):
    added = cli("users", "add", name, "--password-only", env=env)
    assert added.returncode == 0, added.stderr
    return added.stdout.strip()


def report_requests(env, tmp_path):
    out = tmp_path / "report.csv"
    today = date.today().isoformat()
    made = cli("report", "--from", today, "--to", today, "--format", "csv", "-o", str(out), env=env)
    assert made.returncode == 0, made.stderr
    totals: dict[str, int] = {}
    for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))):
        totals[row["developer"]] = totals.get(row["developer"], 0) + int(row["requests"])
    return totals


def test_two_proxies_one_database_nothing_lost_nothing_twice(tmp_path, pki, upstream, server):
    url = server.new_database()
    env_a, env_b = instance_env(tmp_path, "office-a", url), instance_env(tmp_path, "office-b", url)
    alice = add(env_a, "alice")
    # The second office uses the first one's secret (README: copy it privately), or passwords differ.
    shutil.copy2(env_a["COPILOT_INSIGHT_SECRET_FILE"], env_b["COPILOT_INSIGHT_SECRET_FILE"])
    a = start_serve(tmp_path / "office-a", pki, upstream, developers=(), env=env_a)
    b = start_serve(tmp_path / "office-b", pki, upstream, developers=(), env=env_b)
    try:
        send(b, "alice", alice, 2)  # added on A, accepted by B
        bob = add(env_b, "bob")  # added on B while both run: A follows within seconds
        wait_until(lambda: status_code(a, "bob", bob) == 200, what="office-a to accept bob")
        sent = {"alice": 2, "bob": 1}
        assert cli("users", "show", "bob", "--password-only", env=env_a).stdout.strip() == bob

        server.stop()  # the database goes away while office-a records
        send(a, "alice", alice, 3)
        send(a, "bob", bob, 2)
        sent["alice"] += 3
        sent["bob"] += 2
        wait_until(lambda: "wait for the database" in cli("status", env=env_a).stdout, what="a backlog")
        assert a.stop() == 0
        a = start_serve(tmp_path / "office-a", pki, upstream, developers=(), env=env_a)  # still no database
        send(a, "alice", alice, 4)  # the team comes from the local copy
        sent["alice"] += 4
        wait_until(lambda: "wait for the database" in cli("status", env=env_a).stdout, what="a backlog")

        server.resume()
        wait_until(lambda: "Spool:     empty" in cli("status", env=env_a).stdout, timeout=60, what="the drain")
    finally:
        a_code, b_code = a.stop(), b.stop()
    log = a.log.drain()
    assert (a_code, b_code) == (0, 0), log
    assert "Recording continues into the local spool" in log
    assert report_requests(env_b, tmp_path) == sent  # every request exactly once, read on the other instance
    status = cli("status", env=env_b).stdout
    assert "office-a" in status
    assert "office-b" in status


def test_users_show_works_from_the_local_copy_while_the_database_is_away(tmp_path, server):
    url = server.new_database()
    env = instance_env(tmp_path, "office-a", url)
    password = add(env, "alice")
    server.stop()
    try:
        shown = cli("users", "show", "alice", "--password-only", env=env)
        changed = cli("users", "add", "bob", env=env)
    finally:
        server.resume()
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == password
    assert "Showing this computer's copy of the team" in shown.stderr
    assert changed.returncode == 1
    assert "cannot be reached" in changed.stderr
    assert "Is the server running" not in changed.stderr  # libpq's hint lines are left out
