"""What developers paste: the proxy URL, VS Code settings, JetBrains fields, shell variables."""

import base64
import json
import re
import shutil
import subprocess
from dataclasses import replace

import pytest

from desktop_app.core.guide.snippets import (
    CLIENTS,
    DeveloperCa,
    ProxyAccess,
    advertised_host,
    developer_access,
    jetbrains_fields,
    listens_only_locally,
    powershell_exports,
    proposed_listen_host,
    proxy_environment,
    shell_exports,
    vscode_settings,
)
from desktop_app.core.team.settings import ProxySettings

FINGERPRINT = ":".join(["AB"] * 32)
CA = DeveloperCa(FINGERPRINT, "http://192.168.1.20:8081/")
ACCESS = ProxyAccess("192.168.1.20", 8080, "alice", "ab12-cd34:@/'x", CA)


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


@pytest.mark.parametrize(("lan", "expected"), [
    (["fd00::2", "93.184.216.34", "192.168.1.20"], "192.168.1.20"),  # the private IPv4 address a team shares
    (["93.184.216.34"], "93.184.216.34"),
    (["127.0.0.1"], "127.0.0.1"),  # no network: loopback, which the wizard words as "only this computer"
    ([], "127.0.0.1"),
])
def test_a_new_installation_proposes_the_lan_address(lan, expected):
    assert proposed_listen_host(lan) == expected


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


def test_the_command_and_the_dialog_share_one_list_of_clients():
    assert list(CLIENTS) == ["shell", "powershell", "vscode", "jetbrains", "otel"]
    assert all(ACCESS.name in client.build(ACCESS) for key, client in CLIENTS.items() if key != "otel")
    with_receiver = replace(ACCESS, otlp_port=4318)
    assert base64.b64encode(f"{ACCESS.name}:{ACCESS.password}".encode()).decode() in CLIENTS["otel"].build(
        with_receiver)
    assert "receiver is off" in CLIENTS["otel"].build(replace(ACCESS, otlp_port=0))


def test_developer_access_names_the_setup_page_on_the_reachable_host():
    proxy = ProxySettings(listen_host="0.0.0.0", listen_port=9000)
    access = developer_access(proxy, "10.0.0.7", "bob", "pw", FINGERPRINT)
    assert access.ca == DeveloperCa(FINGERPRINT, "http://10.0.0.7:9001/")
    assert access.ca.download_url == "http://10.0.0.7:9001/ca/copilot-insight-ca.pem"
    off = developer_access(ProxySettings(setup_page=False), "fd00::7", "bob", "pw", FINGERPRINT)
    assert off.ca is not None and off.ca.setup_url is None and off.ca.download_url is None
    assert developer_access(proxy, "h", "bob", "pw", None).ca is None
    assert developer_access(ProxySettings(), "fd00::7", "bob", "pw", FINGERPRINT).ca.setup_url == "http://[fd00::7]:8081/"


def test_snippets_that_set_up_the_ca_file_need_its_fingerprint():
    without = ProxyAccess("h", 1, "bob", "p")
    for client in CLIENTS.values():
        if client.needs_ca:
            with pytest.raises(ValueError, match="fingerprint"):
                client.build(without)
        else:
            assert client.build(without)


def test_the_shell_snippet_keeps_the_ca_in_the_developers_home():
    text = shell_exports(ACCESS)
    assert "curl -fsS --noproxy '*' -o \"$ci_ca\" 'http://192.168.1.20:8081/ca/copilot-insight-ca.pem'" in text
    assert 'ci_ca="$HOME/.copilot-insight/ca.pem"' in text
    assert f"if [ \"$ci_fp\" = '{FINGERPRINT}' ]; then" in text
    assert "exit" not in text  # pasted into the developer's own shell: never close it


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_shell_snippet_is_valid_bash_and_quotes_the_password():
    text = shell_exports(ACCESS)
    assert subprocess.run(["bash", "-n", "-c", text], check=False).returncode == 0
    # The variables, evaluated by a real shell, are exactly the URL (quotes in the password survive).
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("export HTTP")]
    script = "\n".join([*lines, 'printf "%s\\n%s" "$HTTPS_PROXY" "$HTTP_PROXY"'])
    shown = subprocess.run(["bash", "--noprofile", "--norc", "-c", script], capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin"}, check=True).stdout
    assert shown.splitlines() == list(proxy_environment(ACCESS).values())


def test_without_a_setup_page_the_shell_snippet_asks_for_the_file_and_still_checks_it():
    text = shell_exports(ProxyAccess("h", 1, "bob", "p", DeveloperCa(FINGERPRINT, None)))
    assert "curl" not in text
    assert "Save the CA certificate from your team lead (copilot-insight-ca.pem) as $ci_ca first." in text
    assert FINGERPRINT in text


def _powershell_tokens(text: str) -> list[str]:
    """Split PowerShell into comments, single- and double-quoted strings and the rest (a rough lexer)."""
    tokens = re.findall(r"#[^\n]*|'(?:[^']|'')*'|\"(?:[^\"`]|`.)*\"|[^'\"#]+", text)
    assert "".join(tokens) == text, "an unterminated string"
    return tokens


def test_the_powershell_snippet_is_balanced_and_sets_variables_only_after_the_check():
    tricky = ProxyAccess("192.168.1.20", 8080, "o'brien", "p'w", CA)
    text = powershell_exports(tricky)
    code = "".join(t for t in _powershell_tokens(text) if not t.startswith(("'", '"', "#")))
    assert code.count("{") == code.count("}") and code.count("(") == code.count(")")
    lines = text.splitlines()
    check = lines.index(f"if ($ciFp -eq '{FINGERPRINT}') {{")
    otherwise = lines.index("} else {")
    env = [i for i, line in enumerate(lines) if line.lstrip().startswith("$env:")]
    assert env and all(check < i < otherwise for i in env)
    assert "  $env:HTTPS_PROXY = 'http://o%27brien:p%27w@192.168.1.20:8080'" in lines
    assert "  $env:NODE_EXTRA_CA_CERTS = $ciCa" in lines
    assert "$ciWeb.Proxy = $null; $ciWeb.DownloadFile('http://192.168.1.20:8081/ca/copilot-insight-ca.pem', $ciCa)" \
        in text
    assert "Join-Path (Join-Path $HOME '.copilot-insight') 'ca.pem'" in text
    assert "-replace '-', ':'" in text  # "AB-CD-..." from BitConverter becomes "AB:CD:..."


def test_powershell_strings_double_single_quotes():
    tricky = ProxyAccess("h", 1, "bob", "it's", DeveloperCa(FINGERPRINT, "http://h:2/"))
    assert "$env:HTTPS_PROXY = 'http://bob:it%27s@h:1'" in powershell_exports(tricky)
    odd = ProxyAccess("h", 1, "bob", "p", DeveloperCa(FINGERPRINT, "http://o'h:2/"))
    assert "DownloadFile('http://o''h:2/ca/copilot-insight-ca.pem', $ciCa)" in powershell_exports(odd)


def test_masked_url_hides_only_the_password():
    assert ACCESS.masked_url == "http://alice:••••••@192.168.1.20:8080"
    assert ACCESS.password not in ACCESS.masked_url
