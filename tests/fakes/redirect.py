"""Test-only mitmproxy addon: sends every upstream connection to the local fake upstream.

The client still asks for `api.githubcopilot.com` (and SNI stays that name); only the TCP
connection goes to 127.0.0.1.
Requests that already target loopback are left alone. Used in-process (`Redirect(port)`) and as a `-s` script with
`--set fake_upstream=127.0.0.1:PORT`.
"""

import logging

from mitmproxy import ctx
from mitmproxy.proxy import server_hooks

logger = logging.getLogger(__name__)


class Redirect:
    def __init__(self, port: int | None = None) -> None:
        self.port = port

    def load(self, loader) -> None:
        if self.port is None:
            loader.add_option("fake_upstream", str, "", "host:port that every upstream connection goes to")

    def _target(self) -> tuple[str, int] | None:
        if self.port is not None:
            return ("127.0.0.1", self.port)
        value = ctx.options.fake_upstream
        if not value:
            return None
        host, _, port = value.rpartition(":")
        return (host, int(port))

    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        target = self._target()
        original = data.server.address
        if target is not None and original is not None and original[0] not in ("127.0.0.1", "localhost"):
            data.server.address = target


addons = [Redirect()]
