"""What a developer pastes into their tools to use the proxy: URL, IDE settings, environment variables.

Pure text builders shared by the team dialog, the first-run wizard and the command line. Each takes
a `ProxyAccess` (where the proxy is reachable, who connects, where the CA certificate is) and
returns text; nothing here reads files, the network or the secret.
"""

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
