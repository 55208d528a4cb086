"""The words for an unreachable upstream: mitmproxy's and the OS's error texts, classified; the hooks alone.

DNS cannot be made to fail here without relying on DNS, so the resolver's words (as Linux, macOS and
Windows put them, and as mitmproxy passes them on) are classified as a unit, and the hook is driven
with the connection mitmproxy would hand it.
"""

import pytest
from mitmproxy import connection
from mitmproxy.proxy import server_hooks

from desktop_app.proxy.upstream import UpstreamWatch, classify, developer_body


@pytest.mark.parametrize(("error", "reason"), [
    ("[Errno -2] Name or service not known", "dns"),
    ("[Errno -3] Temporary failure in name resolution", "dns"),
    ("[Errno 8] nodename nor servname provided, or not known", "dns"),
    ("[Errno 11001] getaddrinfo failed", "dns"),
    ("[Errno -5] No address associated with hostname", "dns"),
    ("[Errno 111] Connect call failed ('140.82.112.21', 443)", "refused"),
    ("[Errno 61] Connection refused", "refused"),
    ("[WinError 10061] No connection could be made because the target machine actively refused it", "refused"),
    ("[Errno 110] Connect call failed ('140.82.112.21', 443)", "timeout"),
    ("[WinError 10060] A connection attempt failed because the connected party did not properly respond", "timeout"),
    ("Certificate verify failed: self-signed certificate in certificate chain", "tls"),
    ("Upstream proxy proxy.corp:3128 refused HTTP CONNECT request: 407 Proxy Authentication Required", "proxy"),
    ("connection closed", "closed"),
    ("something new", "other"),
])
def test_classify(error, reason):
    assert classify(error) == reason


def test_the_developer_body_names_the_host_the_reason_and_the_lead():
    body = developer_body("api.githubcopilot.com", None, "dns")
    assert body.startswith("Copilot Insight could not reach api.githubcopilot.com: its name could not be resolved")
    assert "team lead has been told" in body
    via = developer_body("Copilot", "proxy.corp:3128", "refused")
    assert "the company proxy proxy.corp:3128" in via


def test_a_resolution_failure_is_reported_for_the_developer_as_dns():
    reports = []
    client = connection.Client(peername=("10.0.0.7", 50000), sockname=("10.0.0.1", 8080), timestamp_start=0)
    watch = UpstreamWatch(lambda c: "alice" if c is client else None, reports.append,
                          watched=lambda host: host.endswith("githubcopilot.com"))
    server = connection.Server(address=("api.githubcopilot.com", 443))
    data = server_hooks.ServerConnectionHookData(server=server, client=client)
    watch.server_connect(data)
    server.error = "[Errno -2] Name or service not known"  # what asyncio.open_connection raised, as mitmproxy keeps it
    watch.server_connect_error(data)
    other = connection.Server(address=("registry.npmjs.org", 443))
    other_data = server_hooks.ServerConnectionHookData(server=other, client=client)
    watch.server_connect(other_data)
    other.error = "[Errno -2] Name or service not known"
    watch.server_connect_error(other_data)  # not Copilot: not this addon's business
    assert [(r.kind, r.username, r.source, r.host, r.detail.split(":")[0]) for r in reports] == [
        ("upstream_failed", "alice", "10.0.0.7", "api.githubcopilot.com", "dns")]
