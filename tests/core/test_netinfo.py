"""This computer's LAN addresses: never loopback, IPv4 first."""

import ipaddress

from desktop_app.core.netinfo import host_name, lan_addresses


def test_addresses_are_unique_non_loopback_and_ipv4_first():
    found = lan_addresses()
    assert len(found) == len(set(found))
    parsed = [ipaddress.ip_address(a.split("%")[0]) for a in found]
    assert not any(ip.is_loopback or ip.is_unspecified for ip in parsed)
    versions = [ip.version for ip in parsed]
    assert versions == sorted(versions)


def test_host_name_is_not_empty():
    assert host_name()
