"""The "Copilot only" policy: refuse tunnels and requests to hosts that are not Copilot's.

Runs after authentication, so an unauthenticated client always sees 407 first, whatever the host.
"""

from mitmproxy import http

from desktop_app.capture.hosts import HostPolicy


def _refused(host: str) -> http.Response:
    body = (f"Copilot Insight: this proxy only carries GitHub Copilot traffic; {host} is not part of "
            "Copilot. Ask your team lead to add it, or connect to it without the proxy.\n").encode()
    return http.Response.make(403, body, {"Content-Type": "text/plain; charset=utf-8"})


class CopilotOnly:
    """Proxy hooks (folded, see `chain`): when enabled, only Copilot's hosts may be reached through the proxy."""

    def __init__(self, hosts: HostPolicy, enabled: bool) -> None:
        """Refuse non-Copilot hosts when `enabled`; otherwise do nothing."""
        self._hosts = hosts
        self.enabled = enabled

    def _check(self, flow: http.HTTPFlow) -> None:
        if self.enabled and flow.response is None and not self._hosts.is_copilot_service(flow.request.host):
            flow.response = _refused(flow.request.host)

    def http_connect(self, flow: http.HTTPFlow) -> None:
        """Refuse a tunnel to a host outside Copilot."""
        self._check(flow)

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """Refuse a plain-HTTP request to a host outside Copilot."""
        self._check(flow)
