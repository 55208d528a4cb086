"""The CA guide's content: every OS and client section, OS detection and the visibility notice."""

import json
import re
import shlex

import pytest

from desktop_app.core.ca import CA_FILE_STEM, CHECK_HOST
from desktop_app.core.guide.ca_guide import (
    CLIENT_KEYS,
    NAME_PLACEHOLDER,
    PASSWORD_PLACEHOLDER,
    SYSTEM_KEYS,
    GuideContext,
    GuideSection,
    Step,
    client_sections,
    detect_os,
    guide_sections,
    system_sections,
    visibility_notice,
)

FINGERPRINT = ":".join(f"{n:02X}" for n in range(0xA0, 0xC0))
CTX = GuideContext("192.0.2.2", 8443, "Copilot Insight CA (lead-pc)", FINGERPRINT, "http://192.0.2.2:8081/")
IPV6 = GuideContext("fd00::2", 8080, "Copilot Insight CA (lead-pc)", FINGERPRINT)
LANGUAGES = {"shell", "powershell", "cmd", "json", "vim", "lua", "text"}


def by_key(ctx: GuideContext = CTX) -> dict[str, GuideSection]:
    return {section.key: section for section in guide_sections(ctx)}


def all_steps(section: GuideSection) -> tuple[Step, ...]:
    return section.steps + section.check + section.remove


def commands(section: GuideSection) -> list[str]:
    return [step.command for step in all_steps(section) if step.command]


def everything(section: GuideSection) -> list[str]:
    """Every piece of text a section shows."""
    texts = [section.title, section.summary, *section.references]
    for step in all_steps(section):
        texts.append(step.text)
        if step.command:
            texts.append(step.command)
    return texts


def joined(section: GuideSection) -> str:
    return "\n".join(everything(section))


# --- structure -----------------------------------------------------------------------------------


def test_each_key_appears_once_in_order():
    assert [s.key for s in system_sections(CTX)] == list(SYSTEM_KEYS)
    assert [s.key for s in client_sections(CTX)] == list(CLIENT_KEYS)
    assert [s.key for s in guide_sections(CTX)] == [*SYSTEM_KEYS, *CLIENT_KEYS]
    assert {s.kind for s in system_sections(CTX)} == {"system"}
    assert {s.kind for s in client_sections(CTX)} == {"client"}


def test_guide_is_deterministic():
    assert guide_sections(CTX) == guide_sections(CTX)


@pytest.mark.parametrize("key", [*SYSTEM_KEYS, *CLIENT_KEYS])
def test_every_section_is_complete(key):
    section = by_key()[key]
    assert section.title and section.summary
    assert section.steps, "no steps"
    assert section.check, "no way to check"
    assert section.remove, "no way to undo"
    assert section.references, "no references"
    assert all(ref.startswith("https://") for ref in section.references), section.references
    assert len(set(section.references)) == len(section.references)
    assert all(step.text.strip() for step in all_steps(section))
    for step in all_steps(section):
        if step.command:
            assert step.language in LANGUAGES, (step.language, step.command)


@pytest.mark.parametrize("key", [*SYSTEM_KEYS, *CLIENT_KEYS])
def test_steps_are_plain_text(key):
    section = by_key()[key]
    for text in [section.summary, *(step.text for step in all_steps(section))]:
        assert not re.search(r"</?[a-zA-Z][^>]*>", text), text
        assert "`" not in text and "**" not in text and "](" not in text, text


def test_download_formats():
    sections = by_key()
    assert sections["windows"].download == "cer"
    assert sections["visual-studio"].download == "cer"
    for key in ("macos", "debian", "fedora", "arch", "vscode", "jetbrains", "vim", "neovim", "copilot-cli", "xcode",
                "cli-tools"):
        assert sections[key].download == "pem", key


@pytest.mark.parametrize("key", SYSTEM_KEYS)
def test_system_sections_download_the_file_they_use(key):
    section = by_key()[key]
    file_name = CTX.ca_file(section.download)
    assert file_name in section.steps[0].text
    assert CTX.setup_url in section.steps[0].text
    assert "change the path" in section.steps[0].text
    assert any(file_name in command for command in commands(section))


def test_without_a_setup_page_the_file_comes_from_the_team_lead():
    ctx = GuideContext("192.0.2.2", 8443, "Copilot Insight CA", FINGERPRINT)
    for section in system_sections(ctx):
        assert "from your team lead" in section.steps[0].text
        assert "None" not in section.steps[0].text


# --- operating systems -----------------------------------------------------------------------------


def test_windows_uses_the_cer_in_the_current_user_store():
    section = by_key()["windows"]
    cmds = "\n".join(commands(section))
    assert "copilot-insight-ca.cer" in cmds
    assert r"$env:USERPROFILE\Downloads\copilot-insight-ca.cer" in cmds
    assert r"%USERPROFILE%\Downloads\copilot-insight-ca.cer" in cmds
    assert r"-CertStoreLocation Cert:\CurrentUser\Root" in cmds
    assert "certutil -user -addstore Root" in cmds
    assert "Trusted Root Certification Authorities" in joined(section)
    assert "Current User" in joined(section)
    # the fingerprint the developer compares, with and without colons
    assert FINGERPRINT in joined(section)
    assert FINGERPRINT.replace(":", "") in joined(section)
    assert any("Get-FileHash -Algorithm SHA256" in c for c in commands(section))


def test_windows_removal_names_the_ca():
    removal = [step.command or "" for step in by_key()["windows"].remove]
    assert f'certutil -user -delstore Root "{CTX.ca_name}"' in removal
    assert any(f"'*{CTX.ca_name}*'" in c and c.endswith("Remove-Item") for c in removal)


def test_windows_checks_with_curl_exe():
    section = by_key()["windows"]
    checks = [step.command or "" for step in section.check]
    assert any(c.startswith("curl.exe --proxy") and c.endswith(f"https://{CHECK_HOST}/") for c in checks)
    assert any(c.endswith(f"http://{CHECK_HOST}/") for c in checks)


def test_macos_commands():
    section = by_key()["macos"]
    cmds = "\n".join(commands(section))
    pem = "~/Downloads/copilot-insight-ca.pem"
    assert f"security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db {pem}" in cmds
    assert (f"sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {pem}"
            in cmds)
    assert "Always Trust" in joined(section)
    removal = "\n".join(step.command or "" for step in section.remove)
    assert f"security delete-certificate -c '{CTX.ca_name}' ~/Library/Keychains/login.keychain-db" in removal
    assert f"sudo security delete-certificate -c '{CTX.ca_name}' /Library/Keychains/System.keychain" in removal


def test_macos_removal_quotes_a_name_with_an_apostrophe():
    ctx = GuideContext("192.0.2.2", 8443, "Copilot Insight CA (Bob's Mac)", FINGERPRINT)
    section = by_key(ctx)["macos"]
    lines = [line for step in section.remove for line in (step.command or "").splitlines()
             if "delete-certificate" in line]
    assert lines
    for line in lines:
        words = shlex.split(line)
        assert words[words.index("-c") + 1] == ctx.ca_name


def test_windows_removal_quotes_a_name_with_an_apostrophe():
    ctx = GuideContext("192.0.2.2", 8443, "Copilot Insight CA (Bob's PC)", FINGERPRINT)
    removal = "\n".join(step.command or "" for step in by_key(ctx)["windows"].remove)
    assert "'*Copilot Insight CA (Bob''s PC)*'" in removal


def test_debian_copies_to_crt_and_updates():
    section = by_key()["debian"]
    cmds = commands(section)
    target = f"/usr/local/share/ca-certificates/{CA_FILE_STEM}.crt"
    assert f"sudo cp ~/Downloads/copilot-insight-ca.pem {target}" in cmds
    assert "sudo update-ca-certificates" in cmds
    assert "ca-certificates" in joined(section)
    assert ".crt" in joined(section)
    assert f"sudo rm {target} && sudo update-ca-certificates --fresh" in [s.command for s in section.remove]


def test_fedora_uses_the_anchors_folder():
    section = by_key()["fedora"]
    anchor = "/etc/pki/ca-trust/source/anchors/copilot-insight-ca.pem"
    assert f"sudo cp ~/Downloads/copilot-insight-ca.pem {anchor}" in commands(section)
    assert "sudo update-ca-trust" in commands(section)
    assert f"sudo rm {anchor} && sudo update-ca-trust" in [s.command for s in section.remove]


def test_arch_uses_trust_anchor():
    section = by_key()["arch"]
    assert "sudo trust anchor --store ~/Downloads/copilot-insight-ca.pem" in commands(section)
    assert [s.command for s in section.remove] == ["sudo trust anchor --remove ~/Downloads/copilot-insight-ca.pem"]


@pytest.mark.parametrize(("key", "bundle"), [
    ("debian", "/etc/ssl/certs/ca-certificates.crt"),
    ("fedora", "/etc/pki/tls/certs/ca-bundle.crt"),
    ("arch", "/etc/ssl/certs/ca-certificates.crt"),
])
def test_linux_checks_verify_against_the_system_bundle(key, bundle):
    section = by_key()[key]
    checks = [step.command for step in section.check]
    assert f"openssl verify -CAfile {bundle} ~/Downloads/copilot-insight-ca.pem" in checks
    assert any(FINGERPRINT in step.text and "-fingerprint -sha256" in (step.command or "") for step in section.steps)


@pytest.mark.parametrize("key", SYSTEM_KEYS)
def test_system_checks_ask_the_proxy_over_https(key):
    checks = by_key()[key].check
    https = [step.command for step in checks if step.command and step.command.endswith(f"https://{CHECK_HOST}/")]
    assert https and all(CTX.placeholder_url in command for command in https)
    assert any("connected as" in step.text for step in checks)


# --- clients -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [key for key in CLIENT_KEYS if key != "opentelemetry"])  # no proxy, no check host
def test_client_checks_point_to_insight_check(key):
    checks = "\n".join(step.command or "" for step in by_key()[key].check)
    assert f"http://{CHECK_HOST}/" in checks
    assert f"https://{CHECK_HOST}/" in checks


def vscode_settings(ctx: GuideContext = CTX) -> dict[str, object]:
    snippet = next(step for step in by_key(ctx)["vscode"].steps if step.language == "json").command
    assert snippet is not None
    return json.loads("{" + snippet.rstrip().removesuffix(",") + "}")


def test_vscode_settings_keep_certificate_checks():
    assert vscode_settings() == {
        "http.proxy": CTX.placeholder_url,
        "http.proxyStrictSSL": True,
        "http.proxySupport": "override",
        "http.systemCertificates": True,
    }
    section = by_key()["vscode"]
    assert "first" in section.steps[0].text and "operating system" in section.steps[0].text
    assert "Chat Diagnostics" in joined(section)


def test_jetbrains_fields_use_host_and_port():
    section = by_key()["jetbrains"]
    fields = next(step.command for step in section.steps if step.language == "text")
    assert fields == f"Host name: {CTX.host}\nPort number: {CTX.port}"
    text = joined(section)
    assert "Manual proxy configuration" in text and "Proxy authentication" in text
    assert "Check connection" in text and f"https://{CHECK_HOST}/" in text
    assert "Server Certificates" in text and "Accept non-trusted certificates automatically off" in text
    assert "NODE_EXTRA_CA_CERTS" in text


def test_visual_studio_uses_windows_store_and_a_user_variable():
    section = by_key()["visual-studio"]
    text = joined(section)
    assert "Windows" in section.steps[0].text
    assert f"[Environment]::SetEnvironmentVariable('HTTPS_PROXY', '{CTX.placeholder_url}', 'User')" in text
    assert "Manual proxy setup" in text and CTX.host in text and str(CTX.port) in text
    assert "[Environment]::SetEnvironmentVariable('HTTPS_PROXY', $null, 'User')" in text


def test_vim_keeps_strict_ssl():
    section = by_key()["vim"]
    snippet = next(step.command for step in section.steps if step.language == "vim")
    assert snippet == f"let g:copilot_proxy = '{CTX.placeholder_url}'\nlet g:copilot_proxy_strict_ssl = v:true"
    assert 'export NODE_EXTRA_CA_CERTS="$HOME/Downloads/copilot-insight-ca.pem"' in commands(section)


def test_neovim_sets_both_variables_in_lua():
    section = by_key()["neovim"]
    snippet = next(step.command for step in section.steps if step.language == "lua")
    assert snippet == f"vim.g.copilot_proxy = '{CTX.placeholder_url}'\nvim.g.copilot_proxy_strict_ssl = true"
    assert "copilot.lua" in section.title and "NODE_EXTRA_CA_CERTS" in joined(section)


def test_copilot_cli_variables_in_bash_and_powershell():
    section = by_key()["copilot-cli"]
    bash = next(step.command for step in section.steps if step.language == "shell")
    pwsh = next(step.command for step in section.steps if step.language == "powershell")
    assert bash is not None and pwsh is not None
    assert f"export HTTPS_PROXY='{CTX.placeholder_url}'" in bash
    assert f"export HTTP_PROXY='{CTX.placeholder_url}'" in bash
    assert "export NODE_EXTRA_CA_CERTS=" in bash
    assert f"$env:HTTPS_PROXY = '{CTX.placeholder_url}'" in pwsh
    assert "$env:NODE_EXTRA_CA_CERTS = " in pwsh


def test_xcode_proxy_url_has_no_credentials():
    section = by_key()["xcode"]
    url = next(step.command for step in section.steps if step.language == "text")
    assert url == f"http://{CTX.host}:{CTX.port}"
    assert "Advanced" in joined(section) and "strict SSL" in joined(section)


def test_cli_tools_explain_each_trust_variable():
    text = joined(by_key()["cli-tools"])
    for needle in ("--cacert", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
                   "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                   f"export HTTPS_PROXY='{CTX.placeholder_url}'"):
        assert needle in text, needle


@pytest.mark.parametrize("key", [*SYSTEM_KEYS, *CLIENT_KEYS])
def test_never_switches_certificate_checks_off(key):
    cmds = "\n".join(commands(by_key()[key]))
    for bad in ('"http.proxyStrictSSL": false', "v:false", "strict_ssl = false", "NODE_TLS_REJECT_UNAUTHORIZED",
                "--insecure", "--ssl-no-revoke", "verify=False"):
        assert bad not in cmds, bad
    for line in cmds.splitlines():
        if line.startswith(("curl ", "curl.exe ")):
            assert " -k " not in f"{line} ", line


# --- passwords -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ctx", [CTX, IPV6], ids=["ipv4", "ipv6"])
def test_password_placeholder_only_inside_the_placeholder_url(ctx):
    for section in guide_sections(ctx):
        for text in everything(section):
            assert PASSWORD_PLACEHOLDER not in text.replace(ctx.placeholder_url, ""), (section.key, text)


@pytest.mark.parametrize("ctx", [CTX, IPV6], ids=["ipv4", "ipv6"])
def test_no_credentials_in_urls_except_the_placeholders(ctx):
    userinfo = re.compile(r"://([^/\s@'\"]+)@")
    for section in guide_sections(ctx):
        for text in everything(section):
            for found in userinfo.findall(text):
                assert found == f"{NAME_PLACEHOLDER}:{PASSWORD_PLACEHOLDER}", (section.key, text)


def test_every_client_that_takes_a_url_gets_the_placeholder():
    sections = by_key()
    for key in ("vscode", "visual-studio", "vim", "neovim", "copilot-cli", "cli-tools"):
        assert any(CTX.placeholder_url in c for c in commands(sections[key])), key


# --- IPv6 ----------------------------------------------------------------------------------------


def test_ipv6_host_gets_brackets_in_urls():
    assert IPV6.placeholder_url == f"http://{NAME_PLACEHOLDER}:{PASSWORD_PLACEHOLDER}@[fd00::2]:8080"
    assert vscode_settings(IPV6)["http.proxy"] == IPV6.placeholder_url
    sections = by_key(IPV6)
    assert next(s.command for s in sections["xcode"].steps if s.language == "text") == "http://[fd00::2]:8080"
    jetbrains = next(s.command for s in sections["jetbrains"].steps if s.language == "text")
    assert jetbrains == "Host name: fd00::2\nPort number: 8080"
    for section in guide_sections(IPV6):
        for text in everything(section):
            assert "@fd00::2" not in text and "//fd00::2" not in text, (section.key, text)


# --- OS detection --------------------------------------------------------------------------------

CHROME = "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
SAFARI = "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15"
MOBILE_SAFARI = "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
USER_AGENTS = [
    (f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {CHROME}", "windows"),
    (f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {CHROME} Edg/124.0.2478.51", "windows"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", "windows"),
    (f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) {SAFARI}", "macos"),
    (f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) {CHROME}", "macos"),
    ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "debian"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0 Debian", "debian"),
    ("Mozilla/5.0 (X11; Fedora; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "fedora"),
    ("Mozilla/5.0 (X11; CentOS; Linux x86_64; rv:102.0) Gecko/20100101 Firefox/102.0", "fedora"),
    (f"Mozilla/5.0 (X11; Linux x86_64) {CHROME}", "linux"),
    ("Mozilla/5.0 (X11; Arch Linux; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "arch"),
    (f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) {MOBILE_SAFARI}", None),
    (f"Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) {MOBILE_SAFARI}", None),
    (f"Mozilla/5.0 (Linux; Android 14; Pixel 8) {CHROME.replace('Safari', 'Mobile Safari')}", None),
    (f"Mozilla/5.0 (X11; CrOS x86_64 15633.69.0) {CHROME}", None),
    ("curl/8.5.0", None),
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize(("user_agent", "expected"), USER_AGENTS)
def test_detect_os(user_agent, expected):
    assert detect_os(user_agent) == expected


def test_detected_systems_have_sections():
    keys = {detect_os(ua) for ua, _ in USER_AGENTS} - {None, "linux"}
    assert keys <= set(SYSTEM_KEYS)


# --- what the lead sees --------------------------------------------------------------------------


def test_visibility_notice_differs_by_level():
    metadata = visibility_notice("metadata", 30)
    content = visibility_notice("content", 30)
    assert metadata != content
    assert any("Nothing of your code" in s for s in metadata)
    assert not any("prompts and Copilot's answers are recorded" in s for s in metadata)
    assert any("prompts and Copilot's answers are recorded" in s for s in content)
    assert not any("Nothing of your code" in s for s in content)


@pytest.mark.parametrize(("days", "phrase"), [(30, "30 days"), (7, "7 days"), (1, "1 day,")])
def test_content_notice_names_the_retention(days, phrase):
    assert any(phrase in sentence for sentence in visibility_notice("content", days))
    assert not any(phrase in sentence for sentence in visibility_notice("metadata", days))


@pytest.mark.parametrize("level", ["metadata", "content"])
def test_notice_always_promises_no_secrets_and_only_copilot(level):
    notice = visibility_notice(level, 30)
    assert "Passwords, GitHub tokens and cookies are never recorded." in notice
    assert any("Only Copilot's hosts are decrypted" in s and "Copilot only" in s for s in notice)
    every_request = notice[0]
    for item in ("your name", "the time", "feature", "model", "editor and plugin versions", "language",
                 "token counts", "AI credits", "status"):
        assert item in every_request, item
    assert any("accepted" in s and "telemetry" in s for s in notice)


def test_unknown_level_is_described_as_the_wider_content_level():
    assert visibility_notice("everything", 30) == visibility_notice("content", 30)
    assert visibility_notice("Metadata", 30) == visibility_notice("content", 30)


def test_the_opentelemetry_shell_lines_encode_long_credentials_on_one_line():
    import base64
    import subprocess

    from desktop_app.core.guide.model import NAME_PLACEHOLDER, PASSWORD_PLACEHOLDER
    from desktop_app.core.guide.otel_guide import opentelemetry_section

    name, password = "n" * 64, "k3p9-abcd-efgh-jkmn-pqrs-tvwx"
    section = opentelemetry_section(GuideContext("192.0.2.2", 8080, "CA", FINGERPRINT, otlp_port=4318))
    posix = next(s.command for s in section.steps if s.command and s.command.startswith("export"))
    posix = posix.replace(NAME_PLACEHOLDER, name).replace(PASSWORD_PLACEHOLDER, password)
    value = subprocess.run(["bash", "-c", posix + '\nprintf %s "$OTEL_EXPORTER_OTLP_HEADERS"'], capture_output=True,
                           text=True, check=True, env={"PATH": "/usr/bin:/bin"}).stdout
    assert value.startswith("Authorization=Basic ") and "\n" not in value
    assert base64.b64decode(value.removeprefix("Authorization=Basic ")).decode() == f"{name}:{password}"
