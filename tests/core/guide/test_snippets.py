"""What developers paste: the proxy URL, VS Code settings, JetBrains fields, shell variables."""

import json
import shlex
from pathlib import PurePosixPath

import pytest

from desktop_app.core.guide.snippets import (
    ProxyAccess,
    advertised_host,
    cli_environment,
    jetbrains_fields,
    listens_only_locally,
    powershell_exports,
    shell_exports,
    vscode_settings,
)

ACCESS = ProxyAccess("192.168.1.20", 8080, "alice", "ab12-cd34:@/'x", PurePosixPath("/data/ca cert.pem"))


def test_url_quotes_name_and_password():
    assert ACCESS.url == "http://alice:ab12-cd34%3A%40%2F%27x@192.168.1.20:8080"


@pytest.mark.parametrize(("listen", "lan", "expected"), [
    ("127.0.0.1", ["192.168.1.20"], "127.0.0.1"),
    ("10.0.0.5", ["192.168.1.20"], "10.0.0.5"),
    ("0.0.0.0", ["fd00::2", "192.168.1.20"], "192.168.1.20"),
    ("0.0.0.0", ["127.0.0.1", "203.0.113.9"], "203.0.113.9"),
    ("::", [], "lead-laptop"),
    ("", ["127.0.0.1"], "lead-laptop"),
])
def test_advertised_host(listen, lan, expected):
    assert advertised_host(listen, lan, "lead-laptop") == expected


def test_listens_only_locally():
    assert listens_only_locally("127.0.0.1")
    assert listens_only_locally("::1")
    assert listens_only_locally("localhost")
    assert not listens_only_locally("0.0.0.0")
    assert not listens_only_locally("192.168.1.20")


def test_vscode_snippet_is_json_object_members_with_strict_ssl_kept():
    snippet = vscode_settings(ACCESS)
    parsed = json.loads("{" + snippet.rstrip(",") + "}")
    assert parsed == {"http.proxy": ACCESS.url, "http.proxyStrictSSL": True, "http.proxySupport": "override",
                      "http.systemCertificates": True}


def test_jetbrains_fields_follow_the_form():
    fields = dict(jetbrains_fields(ACCESS))
    assert fields["Host name"] == "192.168.1.20"
    assert fields["Port number"] == "8080"
    assert fields["Login"] == "alice"
    assert fields["Password"] == ACCESS.password


def test_shell_exports_survive_a_posix_shell_parse():
    env = {}
    for line in shell_exports(ACCESS).splitlines():
        word, assignment = shlex.split(line)
        assert word == "export"
        name, _, value = assignment.partition("=")
        env[name] = value
    assert env == cli_environment(ACCESS)
    assert env["NODE_EXTRA_CA_CERTS"] == "/data/ca cert.pem"


def test_powershell_exports_double_single_quotes():
    lines = powershell_exports(ACCESS).splitlines()
    assert lines[0] == f"$env:HTTPS_PROXY = '{ACCESS.url}'"
    assert "$env:NODE_EXTRA_CA_CERTS = '/data/ca cert.pem'" in lines
    tricky = ProxyAccess("h", 1, "bob", "p", PurePosixPath("/home/o'brien/ca.pem"))
    assert "$env:NODE_EXTRA_CA_CERTS = '/home/o''brien/ca.pem'" in powershell_exports(tricky).splitlines()


def test_masked_url_hides_only_the_password():
    assert ACCESS.masked_url == "http://alice:••••••@192.168.1.20:8080"
    assert ACCESS.password not in ACCESS.masked_url
