import re

import pytest

from desktop_app.capture.hosts import HostPolicy, host_family, intercept_patterns

COPILOT_HOSTS = [
    ("api.githubcopilot.com", "api"),
    ("api.individual.githubcopilot.com", "api"),
    ("api.business.githubcopilot.com", "api"),
    ("api.enterprise.githubcopilot.com", "api"),
    ("api-model-lab.githubcopilot.com", "api"),
    ("copilot-api.acme.ghe.com", "api"),
    ("copilot-proxy.githubusercontent.com", "proxy"),
    ("proxy.business.githubcopilot.com", "proxy"),
    ("copilot-proxy.acme.ghe.com", "proxy"),
    ("copilot-telemetry.githubusercontent.com", "telemetry"),
    ("telemetry.enterprise.githubcopilot.com", "telemetry"),
    ("copilot-telemetry-service.acme.ghe.com", "telemetry"),
    ("origin-tracker.githubcopilot.com", "other"),
]
USAGE_FAMILIES = ("api", "proxy", "telemetry")
NOT_INTERCEPTED = [
    "github.com",
    "api.github.com",
    "evilgithubcopilot.com",
    "githubcopilot.com.evil.example",
    "api.githubcopilot.com.evil.example",
    "copilot-api.acme.ghe.com.evil.example",
    "copilot-proxy.githubusercontent.com.evil.example",
    "example.com",
]


def mitmproxy_allows(host, extra_hosts=()):
    """Match as mitmproxy's allow_hosts does: unanchored search against `host:port`, any case."""
    return any(re.search(p, f"{host}:443", re.IGNORECASE) for p in intercept_patterns(extra_hosts))


@pytest.mark.parametrize("suffix", ["", ":443"])
@pytest.mark.parametrize(("host", "family"), COPILOT_HOSTS)
def test_copilot_hosts_are_intercepted(host, family, suffix):
    policy = HostPolicy()
    assert policy.is_intercepted(host + suffix)
    assert policy.is_intercepted(host.upper() + suffix)
    assert policy.is_copilot_service(host + suffix)
    assert host_family(host + suffix) == family


@pytest.mark.parametrize(("host", "family"), COPILOT_HOSTS)
def test_mitmproxy_allows_copilot_hosts(host, family):
    assert mitmproxy_allows(host)
    assert mitmproxy_allows(host.upper())


@pytest.mark.parametrize("suffix", ["", ":443"])
@pytest.mark.parametrize("host", NOT_INTERCEPTED)
def test_other_hosts_are_not_intercepted(host, suffix):
    assert not HostPolicy().is_intercepted(host + suffix)
    assert host_family(host + suffix) not in USAGE_FAMILIES


@pytest.mark.parametrize("host", NOT_INTERCEPTED)
def test_mitmproxy_does_not_allow_other_hosts(host):
    assert not mitmproxy_allows(host)


def test_patterns_are_anchored():
    for pattern in intercept_patterns(["copilot.corp.example", "*.corp.example"]):
        assert pattern.startswith("^")
        assert pattern.endswith("$")


@pytest.mark.parametrize(("host", "expected"), [
    ("copilot.corp.example", True),
    ("COPILOT.corp.example:8443", True),
    ("a.corp.example", True),
    ("a.b.corp.example", True),
    ("corp.example", False),
    ("corp.example.evil", False),
    ("a.corp.example.evil", False),
    ("evilcorp.example", False),
    ("copilotxcorp.example", False),
])
def test_extra_hosts(host, expected):
    extra = ["copilot.corp.example", "*.corp.example"]
    assert HostPolicy(extra).is_intercepted(host) is expected
    assert mitmproxy_allows(host.split(":")[0], extra) is expected
    assert not HostPolicy().is_intercepted(host)


def test_exact_extra_host_does_not_cover_subdomains():
    policy = HostPolicy(["copilot.corp.example"])
    assert policy.is_intercepted("copilot.corp.example")
    assert not policy.is_intercepted("x.copilot.corp.example")
    assert not policy.is_intercepted("copilot.corp.example.evil")


@pytest.mark.parametrize(("host", "expected"), [
    ("github.com", True),
    ("api.github.com:443", True),
    ("uploads.github.com", True),
    ("default.exp-tas.com", True),
    ("origin-tracker.githubusercontent.com", True),
    ("acme.ghe.com", True),
    ("api.githubcopilot.com", True),
    ("example.com", False),
    ("gist.github.com", False),
    ("github.com.evil.example", False),
    ("raw.githubusercontent.com", False),
])
def test_is_copilot_service(host, expected):
    assert HostPolicy().is_copilot_service(host) is expected


@pytest.mark.parametrize("host", ["github.com", "api.github.com", "default.exp-tas.com",
                                  "origin-tracker.githubusercontent.com"])
def test_copilot_services_are_allowed_but_never_decrypted(host):
    policy = HostPolicy()
    assert policy.is_copilot_service(host)
    assert not policy.is_intercepted(host)
    assert not mitmproxy_allows(host)
