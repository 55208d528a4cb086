"""This computer's network addresses, as developers on the LAN would reach it (no Qt, no packets sent)."""

import contextlib
import ipaddress
import socket

# Connecting a UDP socket sends nothing; it only asks the OS which local address routes there.
_ROUTE_PROBES = (("10.255.255.255", 1), ("fd00::1", 1))


def _routed_address(target: tuple[str, int]) -> str | None:
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
