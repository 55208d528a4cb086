"""A developer's computer set up from nothing but a copied snippet, against a real `serve`.

The lead's `users snippet` text (the same as the team window's copy buttons) runs in a real bash
with a fresh HOME and no other variable than PATH: it must fetch the CA certificate from the
setup page, check its fingerprint, and then reach `https://insight.check/` through the proxy with
curl (and Node.js, which reads NODE_EXTRA_CA_CERTS, where it is installed).
"""

import json
import shlex
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_app.core.paths import resolve_paths
from desktop_app.core.team.settings import update_settings
from tests.e2e.served import Served, cli, free_port, serve_env, start_serve

pytestmark = pytest.mark.skipif(shutil.which("bash") is None or shutil.which("curl") is None
                                or shutil.which("openssl") is None,
                                reason="needs bash, curl and openssl (installed by .ci/run)")

# Node tunnels through the proxy by hand (CONNECT), then checks the TLS certificate against its
# default CAs plus NODE_EXTRA_CA_CERTS, exactly as the Copilot CLI and language server do.
NODE_CHECK = r"""
const http = require('http'), tls = require('tls');
const proxy = new URL(process.env.HTTPS_PROXY);
const auth = Buffer.from(decodeURIComponent(proxy.username) + ':' + decodeURIComponent(proxy.password));
http.request({host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: 'insight.check:443',
              headers: {'Proxy-Authorization': 'Basic ' + auth.toString('base64')}})
  .on('connect', (res, socket) => {
    const secure = tls.connect({socket, servername: 'insight.check'}, () => {
      secure.write('GET / HTTP/1.1\r\nHost: insight.check\r\nConnection: close\r\n\r\n');
    });
    let body = '';
    secure.on('data', (d) => { body += d; });
    secure.on('end', () => { process.stdout.write(body); });
    secure.on('error', (e) => { console.error(e.message); process.exit(2); });
  }).on('error', (e) => { console.error(e.message); process.exit(3); }).end();
"""


@pytest.fixture
def served(tmp_path, pki, upstream):
    port, setup_port = free_port(), free_port()
    paths = resolve_paths(tmp_path / "data")
    update_settings(paths.settings_file,
                    lambda s: replace(s, proxy=replace(s.proxy, listen_port=port, setup_port=setup_port)))
    running = start_serve(tmp_path, pki, upstream, port=port)
    running.log.wait_for(f"Setup page for developers: http://127.0.0.1:{setup_port}/")
    running.setup_port = setup_port
    yield running
    assert running.stop() == 0


def snippet(served: Served, client: str) -> str:
    result = cli("users", "snippet", "alice", "--client", client, env=served.env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def developer_shell(home: Path, script: str) -> subprocess.CompletedProcess[str]:
    """bash with nothing but a fresh HOME and PATH: the developer's computer."""
    home.mkdir()
    env = {"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin"}
    return subprocess.run(["bash", "--noprofile", "--norc", "-c", script], capture_output=True, text=True,
                          env=env, timeout=60, check=False, cwd=home)


def test_the_shell_snippet_alone_sets_up_a_developer(served, tmp_path):
    text = snippet(served, "shell")
    assert str(served.data) not in text  # nothing on the lead's disk
    home = tmp_path / "developer"
    checks = ('\ncurl -sS --cacert "$NODE_EXTRA_CA_CERTS" https://insight.check/'
              '\necho; echo "CA=$NODE_EXTRA_CA_CERTS"')
    if shutil.which("node"):
        checks += f"\nnode -e {shlex.quote(NODE_CHECK)} | tail -n 1"
    result = developer_shell(home, text + checks)
    assert result.returncode == 0, result.stderr
    assert "Copilot Insight: proxy set for this shell." in result.stdout
    assert result.stdout.count("Connected as alice") == (2 if shutil.which("node") else 1), result.stdout
    ca = home / ".copilot-insight" / "ca.pem"
    assert f"CA={ca}" in result.stdout
    assert ca.read_bytes() == (served.data / "mitmproxy" / "mitmproxy-ca-cert.pem").read_bytes()


def test_a_certificate_with_another_fingerprint_sets_nothing(served, tmp_path):
    text = snippet(served, "shell")
    fingerprint = text.split("if [ \"$ci_fp\" = '", 1)[1].split("'", 1)[0]
    forged = text.replace(fingerprint, "00" + fingerprint[2:])
    result = developer_shell(tmp_path / "developer", forged + '\necho "proxy=${HTTPS_PROXY:-none}"')
    assert "proxy=none" in result.stdout
    assert "is not your team's CA certificate" in result.stderr
    assert fingerprint in result.stderr  # says what it found


def test_the_other_snippets_name_the_running_proxy_and_setup_page(served):
    url = served.proxy_url("alice")
    powershell = snippet(served, "powershell")
    assert f"'http://127.0.0.1:{served.setup_port}/ca/copilot-insight-ca.pem'" in powershell
    assert f"$env:HTTPS_PROXY = '{url}'" in powershell
    assert json.loads("{" + snippet(served, "vscode").strip().rstrip(",") + "}")["http.proxy"] == url
    fields = dict(line.split(": ", 1) for line in snippet(served, "jetbrains").splitlines())
    assert (fields["Port number"], fields["Password"]) == (str(served.port), served.passwords["alice"])


def test_users_snippet_needs_a_known_client(tmp_path):
    env = serve_env(tmp_path)
    assert cli("users", "add", "alice", "--password-only", env=env).returncode == 0
    for argv, said in ((["users", "snippet", "alice"], "users snippet needs --client shell|powershell|vscode"),
                       (["users", "snippet", "alice", "--client", "emacs"], "invalid choice: 'emacs'"),
                       (["users", "show", "alice", "--client", "shell"], "--client goes with users snippet")):
        result = cli(*argv, env=env)
        assert result.returncode == 2
        assert said in result.stderr


def test_users_add_says_when_only_this_computer_can_connect(tmp_path):
    env = serve_env(tmp_path)
    shown = cli("users", "add", "alice", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "Setup page: http://127.0.0.1:8081/ (send it to the developer" in shown.stdout
    assert "only this computer can use this" in shown.stderr and "--listen-host 0.0.0.0" in shown.stderr
    paths = resolve_paths(tmp_path / "data")
    update_settings(paths.settings_file, lambda s: replace(s, proxy=replace(s.proxy, listen_host="0.0.0.0")))
    shown = cli("users", "show", "alice", "--host", "192.0.2.7", env=env)
    assert "@192.0.2.7:8080" in shown.stdout and "http://192.0.2.7:8081/" in shown.stdout
    assert "only this computer" not in shown.stderr
