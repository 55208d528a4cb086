"""A new developer on a clean Linux machine, following only the setup page: the issue's "done when".

The lead runs `serve` and hands out the proxy URL from `users add`. The developer opens the setup
page in a browser (no proxy, nothing trusted), downloads the CA it recommends for their system,
and runs the commands of its Debian/Ubuntu and command-line sections exactly as printed, with their
name and password in place of the placeholders. Only the OS trust store is mocked: `sudo` runs the
command as it is, `update-ca-certificates` (a shim) builds the bundle from certifi plus the CAs in
the local-CA folder, and the system paths point into a temporary root. Then curl and the `openai`
SDK reach a Copilot-shaped endpoint through the proxy with certificate verification on.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import certifi
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.e2e.served import cli, free_port, start_serve

pytestmark = pytest.mark.skipif(not (shutil.which("curl") and shutil.which("openssl") and shutil.which("bash")),
                                reason="needs curl, openssl and bash, as the guide does")
UBUNTU_FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
UPDATE_CA_CERTIFICATES = """#!/bin/sh
# Test shim for Debian's update-ca-certificates: the system bundle is certifi plus the local CAs.
cat "{certifi}" "{root}"/usr/local/share/ca-certificates/*.crt > "{root}/etc/ssl/certs/ca-certificates.crt"
echo "1 added, 0 removed; done."
"""


class SetupPage(HTMLParser):
    """What a reader of the page sees: the links, the fingerprint, the commands of each section."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, bool]] = []  # (href, emphasised)
        self.commands: dict[str, list[str]] = {}
        self.open_sections: list[str] = []
        self.fingerprint = ""
        self._section, self._strong, self._code, self._fingerprint = "", False, False, False
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "details":
            self._section = attributes.get("id") or ""
            if "open" in attributes:
                self.open_sections.append(self._section)
        elif tag == "strong":
            self._strong = True
        elif tag == "a":
            self.links.append((attributes.get("href") or "", self._strong))
        elif tag == "code":
            self._code, self._text = True, []
            self._fingerprint = "fingerprint" in (attributes.get("class") or "")

    def handle_endtag(self, tag):
        if tag == "strong":
            self._strong = False
        elif tag == "details":
            self._section = ""
        elif tag == "code" and self._code:
            self._code = False
            text = "".join(self._text)
            if self._fingerprint:
                self.fingerprint = text
            elif self._section:
                self.commands.setdefault(self._section, []).append(text)

    def handle_data(self, data):
        if self._code:
            self._text.append(data)


def mocked_linux(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A home folder, a fake system root and the environment of a shell on this 'clean' machine."""
    home, root, shims = tmp_path / "home", tmp_path / "root", tmp_path / "shims"
    for folder in (home / "Downloads", root / "usr/local/share/ca-certificates", root / "etc/ssl/certs", shims):
        folder.mkdir(parents=True)
    (shims / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    (shims / "apt-get").write_text("#!/bin/sh\necho 'ca-certificates is already the newest version.'\n")
    (shims / "update-ca-certificates").write_text(UPDATE_CA_CERTIFICATES.format(certifi=certifi.where(), root=root))
    (shims / "python3").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')  # this venv, with openai
    for shim in shims.iterdir():
        shim.chmod(0o755)
    bundle = root / "etc/ssl/certs/ca-certificates.crt"
    bundle.write_text(Path(certifi.where()).read_text())  # before the CA is installed: the public roots only
    env = {"HOME": str(home), "PATH": f"{shims}:{os.environ['PATH']}", "CURL_CA_BUNDLE": str(bundle),
           "LANG": "C.UTF-8"}
    return home, root, env


def as_typed(command: str, root: Path, url: str) -> str:
    """The command with the developer's credentials and the mocked system paths."""
    command = command.replace("http://YOUR-NAME:YOUR-PASSWORD@", url.split("@", maxsplit=1)[0] + "@")
    for system_path in ("/usr/local/share/ca-certificates", "/etc/ssl/certs"):
        command = command.replace(system_path, f"{root}{system_path}")
    return command


def run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, timeout=60, check=False)


def test_a_new_developer_follows_the_setup_page_to_a_working_copilot(tmp_path, pki, upstream):
    setup_port = free_port()
    served = start_serve(tmp_path, pki, upstream, extra_args=("--setup-port", str(setup_port)))
    try:
        lead_sends = cli("users", "show", "alice", "--host", "127.0.0.1", env=served.env).stdout
        url = re.search(r"Proxy URL: (\S+)", lead_sends).group(1)
        home, root, env = mocked_linux(tmp_path)

        with httpx.Client(trust_env=False, timeout=10, headers={"User-Agent": UBUNTU_FIREFOX}) as browser:
            page_url = f"http://127.0.0.1:{setup_port}/"
            page = SetupPage(browser.get(page_url).text)
            assert "debian" in page.open_sections
            [download] = [href for href, emphasised in page.links if emphasised and "/ca/" in href]
            assert download.endswith("copilot-insight-ca.pem")
            saved = home / "Downloads" / "copilot-insight-ca.pem"
            saved.write_bytes(browser.get(httpx.URL(page_url).join(download)).content)
        der = x509.load_pem_x509_certificate(saved.read_bytes()).public_bytes(Encoding.DER)
        assert page.fingerprint == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())

        # Before trusting the CA, the HTTPS check fails visibly (curl 60) while plain HTTP already works.
        http_check, https_check = (c for c in page.commands["debian"] if "insight.check" in c)
        assert "Connected as alice" in run(as_typed(http_check, root, url), env).stdout
        assert run(as_typed(https_check, root, url), env).returncode == 60

        outputs = [run(as_typed(command, root, url), env) for command in page.commands["debian"]
                   if not command.startswith("sudo rm")]  # the Undo step comes last; not now
        for result in outputs:
            assert result.returncode == 0, result.stderr
        printed = " ".join(result.stdout for result in outputs)
        assert page.fingerprint in printed.upper()  # openssl printed the same fingerprint as the page
        assert ": OK" in printed  # openssl verify against the system bundle
        assert "trusts the proxy's CA" in printed  # the HTTPS check now passes

        tools = [as_typed(c, root, url) for c in page.commands["cli-tools"]]
        exports = "\n".join(c for c in tools if c.startswith("export ") and "copilot-insight-bundle" not in c)
        body = '{"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "hi"}]}'
        chat = ("curl -sS --fail --proxy \"$HTTPS_PROXY\" https://api.githubcopilot.com/chat/completions "
                f"-H 'Authorization: Bearer test-token' -H 'Content-Type: application/json' -d '{body}'")
        through_curl = run(f"{exports}\n{chat}", env)
        assert through_curl.returncode == 0, through_curl.stderr
        assert "data:" in through_curl.stdout

        sdk = ("from openai import OpenAI\n"
               "client = OpenAI(base_url='https://api.githubcopilot.com', api_key='test-token')\n"
               "stream = client.chat.completions.create(model='gpt-4o', stream=True,\n"
               "    messages=[{'role': 'user', 'content': 'hi'}])\n"
               "print(sum(1 for chunk in stream if chunk.choices))\n")
        (home / "ask.py").write_text(sdk)
        through_sdk = run(f"{exports}\npython3 ~/ask.py", env)
        assert through_sdk.returncode == 0, through_sdk.stderr
        assert int(through_sdk.stdout.strip()) >= 1

        served.log.wait_for("alice ", timeout=10)
        listed = cli("users", "list", env=served.env).stdout
        assert "connection check over HTTPS passed" in listed
    finally:
        served.stop()
