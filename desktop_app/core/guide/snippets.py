"""What a developer pastes into their tools to use the proxy: URL, IDE settings, environment variables.

Pure text builders shared by the team dialog, the first-run wizard and the command line. Each takes
a `ProxyAccess` (where the proxy is reachable, who connects, where the CA certificate is) and
returns text; nothing here reads files, the network or the secret.
"""

import base64
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from desktop_app.core.team.credentials import proxy_url

ALL_INTERFACES = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - recognised, not bound
LOOPBACK_NAMES = frozenset({"localhost"})
PASSWORD_MASK = "••••••"  # noqa: S105 - what is shown instead of a password


@dataclass(frozen=True)
class ProxyAccess:
    """One developer's way in: the reachable host, the port, their credentials and the CA file."""

    host: str
    port: int
    name: str
    password: str
    ca_file: PurePath
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


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def advertised_host(listen_host: str, lan_addresses: Iterable[str], host_name: str) -> str:
    """Return the host developers should use to reach a proxy listening on `listen_host`.

    A proxy bound to every interface is reached through the first private LAN address (else any
    non-loopback address, else the computer's name); a specific address is reached as itself.
    """
    if listen_host not in ALL_INTERFACES:
        return listen_host
    candidates = [a for a in lan_addresses if not _is_loopback(a)]
    private = [a for a in candidates if ipaddress.ip_address(a).is_private and ":" not in a]
    return (private or candidates or [host_name])[0]


def listens_only_locally(listen_host: str) -> bool:
    """Whether only this computer can reach a proxy listening on `listen_host`."""
    return _is_loopback(listen_host)


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


def cli_environment(access: ProxyAccess) -> dict[str, str]:
    """The environment variables that send CLIs and Node-based tools through the proxy."""
    return {
        "HTTPS_PROXY": access.url,
        "HTTP_PROXY": access.url,
        "NODE_EXTRA_CA_CERTS": str(access.ca_file),
    }


def _posix_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def shell_exports(access: ProxyAccess) -> str:
    """`export NAME='value'` lines for bash, zsh and other POSIX shells."""
    return "\n".join(f"export {name}={_posix_quote(value)}" for name, value in cli_environment(access).items())


def powershell_exports(access: ProxyAccess) -> str:
    """`$env:NAME = 'value'` lines for PowerShell."""
    return "\n".join(f"$env:{name} = '{value.replace("'", "''")}'" for name, value in cli_environment(access).items())


# --- without the CA: Copilot's own OpenTelemetry ---------------------------------------------------------

OTEL_NOT_COVERED = ("Copilot's OpenTelemetry does not report inline completions or next edit suggestions: "
                    "for those, the proxy with the CA is needed.")


def otel_endpoint(access: ProxyAccess) -> str:
    """The receiver's base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` and VS Code's `otlpEndpoint` take it."""
    host = f"[{access.host}]" if ":" in access.host else access.host
    return f"http://{host}:{access.otlp_port}"


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
    pwsh = [f"$env:{name} = '{value.replace("'", "''")}'" for name, value in variables.items()]
    pwsh.append(f"$env:NO_PROXY = '{access.host}' + $(if ($env:NO_PROXY) {{ ',' + $env:NO_PROXY }})")
    return "\n".join((
        "# Copilot usage without the CA: Copilot's own OpenTelemetry, sent to Copilot Insight.",
        f"# {OTEL_NOT_COVERED}",
        "", "# Copilot CLI, bash or zsh (e.g. in ~/.bashrc or ~/.zshrc):", *posix,
        "", "# Copilot CLI, PowerShell (e.g. in $PROFILE):", *pwsh,
        "", "# VS Code (Copilot Chat): add inside the braces of your user settings.json:",
        otel_vscode_settings(access),
    ))
