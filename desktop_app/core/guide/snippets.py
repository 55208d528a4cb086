"""What a developer pastes into their tools to use the proxy: URL, IDE settings, environment variables.

Pure text builders shared by the team dialog, the first-run wizard and the command line
(`users snippet`). Each takes a `ProxyAccess` (where the proxy is reachable, who connects, where
their machine gets the CA certificate) and returns text; nothing here reads files, the network or
the secret. Every snippet works on the *developer's* computer: the shell and PowerShell snippets
download the CA certificate from the setup page into the developer's own home folder
(`~/.copilot-insight/ca.pem`), check its SHA-256 fingerprint, and only then set the variables.
`CLIENTS` is the one list of snippet kinds: the dialog's copy buttons and the command's
`--client` choices both come from it.
"""

import base64
import ipaddress
import json
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from desktop_app.core.ca import CA_FILE_STEM
from desktop_app.core.guide.model import url_host
from desktop_app.core.team.credentials import proxy_url
from desktop_app.core.team.settings import ProxySettings

ALL_INTERFACES = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - recognised, not bound
LOOPBACK_NAMES = frozenset({"localhost"})
LOOPBACK = "127.0.0.1"
PASSWORD_MASK = "••••••"  # noqa: S105 - what is shown instead of a password
DEVELOPER_CA_FOLDER = ".copilot-insight"  # in the developer's home folder
DEVELOPER_CA_FILE = "ca.pem"
CA_DOWNLOAD_PATH = f"/ca/{CA_FILE_STEM}.pem"  # the setup page's PEM download (see `setup_page`)


@dataclass(frozen=True)
class DeveloperCa:
    """How a developer's computer gets the CA certificate and checks it is the right one."""

    fingerprint: str  # SHA-256, upper-case hex pairs joined by colons, as `openssl x509 -fingerprint` prints it
    setup_url: str | None  # the setup page ("http://192.0.2.2:8081/"); None when it is turned off

    @property
    def download_url(self) -> str | None:
        """The PEM certificate's address on the setup page, or None when there is no setup page."""
        return None if self.setup_url is None else urllib.parse.urljoin(self.setup_url, CA_DOWNLOAD_PATH)


@dataclass(frozen=True)
class ProxyAccess:
    """One developer's way in: the reachable host, the port, their credentials and their CA download."""

    host: str
    port: int
    name: str
    password: str
    ca: DeveloperCa | None = None  # needed by the snippets that set up the CA file; None where unknown
    otlp_port: int = 0  # the OpenTelemetry receiver's port on `host`; 0: it is off

    @property
    def url(self) -> str:
        """`http://name:password@host:port`."""
        return proxy_url(self.host, self.port, self.name, self.password)

    @property
    def masked_url(self) -> str:
        """`url` with the password shown as bullets, for the screen (the clipboard gets `url`)."""
        user, _, host = self.url.partition("@")
        return f"{user.rpartition(':')[0]}:{PASSWORD_MASK}@{host}"


def developer_access(proxy: ProxySettings, host: str, name: str, password: str,
                     fingerprint: str | None) -> ProxyAccess:
    """`name`'s way into the proxy `proxy` describes, reached at `host`; no CA download without `fingerprint`."""
    ca = None if fingerprint is None else DeveloperCa(fingerprint, configured_setup_url(proxy, host))
    return ProxyAccess(host, proxy.listen_port, name, password, ca, otlp_port=proxy.otlp_port)


def configured_setup_url(proxy: ProxySettings, host: str) -> str | None:
    """The setup page `proxy` serves, on `host`; None when the settings turn it off."""
    return setup_page_url(host, proxy.effective_setup_port) if proxy.setup_page else None


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _lan_candidates(lan_addresses: Iterable[str]) -> list[str]:
    """Non-loopback addresses, the private IPv4 ones first (where a team's computers usually meet)."""
    candidates = [a for a in lan_addresses if not _is_loopback(a)]
    private = [a for a in candidates if ipaddress.ip_address(a).is_private and ":" not in a]
    return private + [a for a in candidates if a not in private]


def advertised_host(listen_host: str, lan_addresses: Iterable[str], host_name: str) -> str:
    """Return the host developers should use to reach a proxy listening on `listen_host`.

    A proxy bound to every interface is reached through the first private LAN address (else any
    non-loopback address, else the computer's name); a specific address is reached as itself.
    """
    if listen_host not in ALL_INTERFACES:
        return listen_host
    return (_lan_candidates(lan_addresses) or [host_name])[0]


def proposed_listen_host(lan_addresses: Iterable[str]) -> str:
    """What a new installation proposes to listen on: the LAN address developers can reach, else loopback."""
    return (_lan_candidates(lan_addresses) or [LOOPBACK])[0]


def listens_only_locally(listen_host: str) -> bool:
    """Whether only this computer can reach a proxy listening on `listen_host`."""
    return _is_loopback(listen_host)


def setup_page_url(host: str, port: int) -> str:
    """The setup page's address on `host` (`http://host:port/`, IPv6 in brackets)."""
    return f"http://{url_host(host)}:{port}/"


def vscode_settings(access: ProxyAccess) -> str:
    """The lines to merge into VS Code's user `settings.json`.

    Certificate checks stay on (`http.proxyStrictSSL`): the developer trusts the CA instead, as the
    CA guide explains; `http.systemCertificates` makes VS Code read it from the system store.
    """
    settings = {
        "http.proxy": access.url,
        "http.proxyStrictSSL": True,
        "http.proxySupport": "override",
        "http.systemCertificates": True,
    }
    body = json.dumps(settings, indent=2)
    return body.removeprefix("{\n").removesuffix("\n}") + ","


def jetbrains_fields(access: ProxyAccess) -> list[tuple[str, str]]:
    """The values for Settings → Appearance & Behavior → System Settings → HTTP Proxy, in form order."""
    return [
        ("Proxy type", "Manual proxy configuration, HTTP"),
        ("Host name", access.host),
        ("Port number", str(access.port)),
        ("Proxy authentication", "checked"),
        ("Login", access.name),
        ("Password", access.password),
        ("Remember", "checked"),
    ]


def jetbrains_text(access: ProxyAccess) -> str:
    """`jetbrains_fields` as text for the clipboard, one `Field: value` per line."""
    return "\n".join(f"{label}: {value}" for label, value in jetbrains_fields(access))


def proxy_environment(access: ProxyAccess) -> dict[str, str]:
    """The variables that send CLIs and Node-based tools through the proxy (besides the CA file)."""
    return {"HTTPS_PROXY": access.url, "HTTP_PROXY": access.url}


def _required_ca(access: ProxyAccess) -> DeveloperCa:
    if access.ca is None:
        raise ValueError("this snippet needs the CA certificate's fingerprint")
    return access.ca


def _posix_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def _powershell_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_SHELL_REFUSAL = ("  echo \"Copilot Insight: $ci_ca is not your team's CA certificate (its fingerprint: "
                  "${ci_fp:-unreadable; openssl is needed to read it}). Nothing was set; ask your team lead.\" >&2")
_POWERSHELL_FINGERPRINT = (
    "try { $ciCert = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 -ArgumentList $ciCa; "
    "$ciFp = [BitConverter]::ToString([System.Security.Cryptography.SHA256]::Create().ComputeHash("
    "$ciCert.RawData)) -replace '-', ':' } catch { $ciFp = 'unreadable' }")
_POWERSHELL_REFUSAL = ("  Write-Warning \"Copilot Insight: $ciCa is not your team's CA certificate (its fingerprint: "
                       "$ciFp). Nothing was set; ask your team lead.\"")


def shell_exports(access: ProxyAccess) -> str:
    """A paste-in block for bash, zsh and other POSIX shells.

    It downloads the CA certificate into `~/.copilot-insight/ca.pem` (past any proxy already set),
    compares its fingerprint with the one written here, and sets `HTTPS_PROXY`, `HTTP_PROXY` and
    `NODE_EXTRA_CA_CERTS` only when they match; it never exits the developer's shell.
    """
    ca = _required_ca(access)
    folder = f'"$HOME/{DEVELOPER_CA_FOLDER}"'
    lines = [f"# Copilot Insight: the proxy for {access.name}. Paste into bash or zsh (this shell only).",
             f'ci_ca="$HOME/{DEVELOPER_CA_FOLDER}/{DEVELOPER_CA_FILE}"']
    if ca.download_url is None:
        lines.append(f"# Save the CA certificate from your team lead ({CA_FILE_STEM}.pem) as $ci_ca first.")
        lines.append(f"mkdir -p {folder}")
    else:
        lines.append(f"mkdir -p {folder} && curl -fsS --noproxy '*' -o \"$ci_ca\" {_posix_quote(ca.download_url)}")
    lines += [
        'ci_fp=$(openssl x509 -in "$ci_ca" -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2)',
        f'if [ "$ci_fp" = {_posix_quote(ca.fingerprint)} ]; then',
        *(f"  export {name}={_posix_quote(value)}" for name, value in proxy_environment(access).items()),
        '  export NODE_EXTRA_CA_CERTS="$ci_ca"',
        "  echo 'Copilot Insight: proxy set for this shell.'",
        "else",
        _SHELL_REFUSAL,
        "fi",
        "unset ci_ca ci_fp",
    ]
    return "\n".join(lines)


def powershell_exports(access: ProxyAccess) -> str:
    """The same block as `shell_exports`, for Windows PowerShell 5.1 and PowerShell 7 on any system."""
    ca = _required_ca(access)
    lines = [f"# Copilot Insight: the proxy for {access.name}. Paste into PowerShell (this window only).",
             f"$ciCa = Join-Path (Join-Path $HOME '{DEVELOPER_CA_FOLDER}') '{DEVELOPER_CA_FILE}'",
             "New-Item -ItemType Directory -Force -Path (Split-Path $ciCa) | Out-Null"]
    if ca.download_url is None:
        lines.append(f"# Save the CA certificate from your team lead ({CA_FILE_STEM}.pem) as $ciCa first.")
    else:
        lines.append("try { $ciWeb = New-Object System.Net.WebClient; $ciWeb.Proxy = $null; "
                     f"$ciWeb.DownloadFile({_powershell_quote(ca.download_url)}, $ciCa) }} "
                     "catch { Write-Warning \"Copilot Insight: the download failed: $($_.Exception.Message)\" }")
    lines += [
        _POWERSHELL_FINGERPRINT,
        f"if ($ciFp -eq {_powershell_quote(ca.fingerprint)}) {{",
        *(f"  $env:{name} = {_powershell_quote(value)}" for name, value in proxy_environment(access).items()),
        "  $env:NODE_EXTRA_CA_CERTS = $ciCa",
        "  Write-Host 'Copilot Insight: proxy set for this PowerShell window.'",
        "} else {",
        _POWERSHELL_REFUSAL,
        "}",
        "Remove-Variable ciCa, ciFp, ciCert, ciWeb -ErrorAction SilentlyContinue",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class SnippetClient:
    """One kind of snippet: the team dialog's copy button and `users snippet --client` share it."""

    button: str  # the copy button's text
    what: str  # what the dialog says was copied ("Copied the shell variables for alice.")
    build: Callable[[ProxyAccess], str]
    needs_ca: bool = False  # whether `build` needs `ProxyAccess.ca`


CLIENTS: dict[str, SnippetClient] = {
    "shell": SnippetClient("Shell variables", "the shell variables", shell_exports, needs_ca=True),
    "powershell": SnippetClient("PowerShell variables", "the PowerShell variables", powershell_exports,
                                needs_ca=True),
    "vscode": SnippetClient("VS Code settings", "the VS Code settings", vscode_settings),
    "jetbrains": SnippetClient("JetBrains settings", "the JetBrains proxy settings", jetbrains_text),
}
"""Client name (`users snippet --client NAME`) → its snippet; a new client is one more entry."""


# --- without the CA: Copilot's own OpenTelemetry ---------------------------------------------------------

OTEL_NOT_COVERED = ("Copilot's OpenTelemetry does not report inline completions or next edit suggestions: "
                    "for those, the proxy with the CA is needed.")


def otel_endpoint(access: ProxyAccess) -> str:
    """The receiver's base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` and VS Code's `otlpEndpoint` take it."""
    return f"http://{url_host(access.host)}:{access.otlp_port}"


def otel_authorization(access: ProxyAccess) -> str:
    """The `Authorization` value: Basic with the developer's proxy name and password."""
    return "Basic " + base64.b64encode(f"{access.name}:{access.password}".encode()).decode()


def otel_environment(access: ProxyAccess) -> dict[str, str]:
    """The variables that make the Copilot CLI (and the shared Copilot runtime) export to the receiver."""
    return {
        "COPILOT_OTEL_ENABLED": "true",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otel_endpoint(access),
        "OTEL_EXPORTER_OTLP_HEADERS": f"Authorization={otel_authorization(access)}",
    }


def otel_vscode_settings(access: ProxyAccess) -> str:
    """The lines to merge into VS Code's `settings.json` for Copilot Chat's OpenTelemetry export."""
    settings = {
        "github.copilot.chat.otel.enabled": True,
        "github.copilot.chat.otel.exporterType": "otlp-http",
        "github.copilot.chat.otel.otlpEndpoint": otel_endpoint(access),
        "github.copilot.chat.otel.headers": {"Authorization": otel_authorization(access)},
        "github.copilot.chat.otel.captureContent": False,
        "http.noProxy": [access.host],
    }
    return json.dumps(settings, indent=2).removeprefix("{\n").removesuffix("\n}") + ","


def otel_snippet(access: ProxyAccess) -> str:
    """Everything a developer without the CA pastes: CLI variables (POSIX and PowerShell) and VS Code settings.

    `NO_PROXY` keeps the export off any proxy the developer has set (the CLI honours `HTTPS_PROXY`).
    """
    if not access.otlp_port:
        return "# The OpenTelemetry receiver is off: turn it on in Settings (OpenTelemetry port) first."
    variables = otel_environment(access)
    posix = [f"export {name}={_posix_quote(value)}" for name, value in variables.items()]
    posix.append(f'export NO_PROXY="{access.host}${{NO_PROXY:+,$NO_PROXY}}"')
    pwsh = [f"$env:{name} = {_powershell_quote(value)}" for name, value in variables.items()]
    pwsh.append(f"$env:NO_PROXY = {_powershell_quote(access.host)} + $(if ($env:NO_PROXY) {{ ',' + $env:NO_PROXY }})")
    return "\n".join((
        "# Copilot usage without the CA: Copilot's own OpenTelemetry, sent to Copilot Insight.",
        f"# {OTEL_NOT_COVERED}",
        "", "# Copilot CLI, bash or zsh (e.g. in ~/.bashrc or ~/.zshrc):", *posix,
        "", "# Copilot CLI, PowerShell (e.g. in $PROFILE):", *pwsh,
        "", "# VS Code (Copilot Chat): add inside the braces of your user settings.json:",
        otel_vscode_settings(access),
    ))


CLIENTS["otel"] = SnippetClient("Without the CA (OpenTelemetry)",
                                "the OpenTelemetry settings for a computer without the CA", otel_snippet)
