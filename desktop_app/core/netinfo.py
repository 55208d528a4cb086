"""This computer's network addresses, as developers on the LAN would reach it, and whether a port is free.

No Qt, no packets sent: addresses come from the routing table and the resolver, and a port is tested
by binding it for a moment. Also the one `Address` type (host, port) of everything that listens, and
`listen_error`, which says in words why binding a listening socket failed (the proxy and the setup
page both use it).
"""

import contextlib
import errno
import ipaddress
import os
import socket

from desktop_app.core.errors import ProxyStartError
from desktop_app.core.redaction import redact

Address = tuple[str, int]  # (host, port) as sockets take it
ADDR_IN_USE = frozenset({errno.EADDRINUSE, 10048})  # 10048: WSAEADDRINUSE
ADDR_NOT_AVAILABLE = frozenset({errno.EADDRNOTAVAIL, 10049})  # 10049: WSAEADDRNOTAVAIL

# Connecting a UDP socket sends nothing; it only asks the OS which local address routes there.
_ROUTE_PROBES = (("10.255.255.255", 1), ("fd00::1", 1))


def _routed_address(target: Address) -> str | None:
    family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect(target)
            return str(probe.getsockname()[0])
    except OSError:
        return None


def _resolved_addresses(host_name: str) -> list[str]:
    with contextlib.suppress(OSError, UnicodeError):
        return [str(info[4][0]) for info in socket.getaddrinfo(host_name, None, proto=socket.IPPROTO_TCP)]
    return []


def lan_addresses() -> list[str]:
    """Return this computer's non-loopback IP addresses, IPv4 first, the routed one leading."""
    found: list[str] = []
    candidates = [_routed_address(t) for t in _ROUTE_PROBES] + _resolved_addresses(socket.gethostname())
    for address in candidates:
        if not address or address in found:
            continue
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not (ip.is_loopback or ip.is_link_local or ip.is_unspecified):
            found.append(address)
    return sorted(found, key=lambda a: ":" in a)


def host_name() -> str:
    """Return this computer's name."""
    return socket.gethostname()


def bind_problem(host: str, port: int) -> str | None:
    """Why the proxy could not listen on `host:port` right now (a sentence), or None when it could.

    Binds a socket for a moment, as the proxy will (with SO_REUSEADDR off Windows, so a port left in
    TIME_WAIT by a previous run counts as free, and a listening program does not).
    """
    address = host or "0.0.0.0"  # noqa: S104 - tested, not kept
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            if os.name != "nt":
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((address, port))
    except OSError as exc:
        if exc.errno in ADDR_IN_USE:
            return f"Port {port} is already in use by another program on this computer. Choose another port."
        if exc.errno in ADDR_NOT_AVAILABLE:
            return f"{address} is not an address of this computer."
        if exc.errno == errno.EACCES:
            return f"Port {port} needs administrator rights. Choose a port above 1023."
        return f"Port {port} on {address} cannot be used: {exc.strerror or exc}."
    return None


def listen_error(exc: BaseException, host: str, port: int) -> ProxyStartError:
    """Translate a failure to listen on `host`:`port` into a sentence with the fix."""
    details = redact(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, socket.gaierror) or (isinstance(exc, OSError) and (exc.errno or 0) < 0):  # EAI_* codes
        return ProxyStartError(
            f"The listen address '{host}' is not valid. Use 127.0.0.1 (this computer only) or "
            "0.0.0.0 (every network interface).", details)
    if isinstance(exc, OSError) and exc.errno in ADDR_IN_USE:
        return ProxyStartError(
            f"Port {port} on {host} is already in use by another program (or another Copilot Insight). "
            "Choose another port (in Settings; for `serve`, use `--listen-port` or `--setup-port`), or stop the "
            "program that uses it.", details)
    # Python 3.13+ reports an address that is not this computer's as "could not bind on any address".
    if isinstance(exc, OSError) and (exc.errno in ADDR_NOT_AVAILABLE or "could not bind on any address" in str(exc)):
        return ProxyStartError(
            f"{host} is not an address of this computer. Use 127.0.0.1 (this computer only) or "
            "0.0.0.0 (every network interface).", details)
    if isinstance(exc, OSError) and exc.errno == errno.EACCES:
        return ProxyStartError(
            f"Listening on port {port} needs administrator rights. Choose a port above 1023.", details)
    return ProxyStartError(f"The proxy could not start: {exc}", details)
