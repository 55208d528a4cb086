"""The connection check: the proxy itself answers the reserved host `insight.check`.

Through the proxy, `http://insight.check/` says who the proxy thinks the developer is, and
`https://insight.check/` does the same over TLS with a certificate from the proxy's CA, so a
page that loads at all proves that the client trusts the CA. Nothing for this host is ever
forwarded or resolved: a CONNECT to it is accepted here (after authentication, which runs first),
any upstream connection to it is refused, and each request gets its answer before one could be
made. A passed HTTPS check is reported, so the team lead can see that a developer's setup works.
"""

import html
import json
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime

from mitmproxy import connection, http
from mitmproxy.proxy import server_hooks

from desktop_app.core.ca import CHECK_HOST
from desktop_app.core.models import ConnectionEvent
from desktop_app.proxy.auth import developer_of

CHECK_PATTERN = r"^insight\.check(:\d+)?$"  # for mitmproxy's allow_hosts: decrypt it, to answer it
_NOT_FORWARDED = "insight.check is answered by Copilot Insight itself"


def _is_check(host: str) -> bool:
    return host.lower().rstrip(".") == CHECK_HOST


def check_result(developer: str, secure: bool) -> dict[str, object]:
    """What the check says, as data (the JSON answer and the source of the text and HTML ones)."""
    if secure:
        message = (f"Connected as {developer} through Copilot Insight. This client trusts the proxy's CA "
                   "certificate: Copilot requests through the proxy will work.")
    else:
        message = (f"Connected as {developer} through Copilot Insight. This check came over plain HTTP, so it "
                   f"cannot tell whether this client trusts the proxy's CA: open https://{CHECK_HOST}/ next.")
    return {"developer": developer, "proxy": "Copilot Insight", "tls": secure, "trusts_ca": True if secure else None,
            "message": message}


def _html(result: dict[str, object]) -> str:
    title = "Copilot Insight: connection check"
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            f"content=\"width=device-width\"><title>{title}</title></head><body><h1>{title}</h1>"
            f"<p>{html.escape(str(result['message']))}</p></body></html>\n")


def check_response(developer: str, secure: bool, accept: str, path: str) -> http.Response:
    """The answer for `path`: JSON for `/json` or a JSON Accept, HTML for browsers, else plain text."""
    result = check_result(developer, secure)
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if path.split("?", 1)[0] == "/json" or "application/json" in accept:
        return http.Response.make(200, json.dumps(result) + "\n", {**headers, "Content-Type": "application/json"})
    if "text/html" in accept:
        return http.Response.make(200, _html(result), {**headers, "Content-Type": "text/html; charset=utf-8",
                                                        "Content-Security-Policy": "default-src 'none'"})
    return http.Response.make(200, f"{result['message']}\n", {**headers, "Content-Type": "text/plain; charset=utf-8"})


class ConnectionCheck:
    """Hooks (folded after authentication, before the Copilot-only policy) answering `insight.check`."""

    def __init__(self, on_passed: Callable[[ConnectionEvent], None] | None = None) -> None:
        """Call `on_passed` with a `check_passed` event whenever a developer loads the HTTPS check."""
        self._on_passed = on_passed
        self._tunnels: weakref.WeakSet[connection.Client] = weakref.WeakSet()

    def http_connect(self, flow: http.HTTPFlow) -> None:
        """Accept an authenticated tunnel to the check host without connecting anywhere.

        The CONNECT target decides, never the Host header (Node.js sends the proxy's address there).
        """
        if flow.response is None and _is_check(flow.request.host):
            flow.response = http.Response.make(200)
            self._tunnels.add(flow.client_conn)

    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        """Never open a connection to the check host (there is none; the name must not be resolved)."""
        address = data.server.address
        if address is not None and _is_check(str(address[0])):
            data.server.error = _NOT_FORWARDED

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """Answer a request to the check host for the developer the proxy authenticated."""
        if flow.response is not None:
            return
        if flow.client_conn not in self._tunnels and not _is_check(flow.request.host):
            return  # neither inside a check tunnel nor a plain-HTTP request for the check host
        developer = developer_of(flow)
        if developer is None:  # authentication answers unauthenticated requests before this addon
            return
        secure = flow.request.scheme == "https"
        flow.response = check_response(developer, secure, flow.request.headers.get("Accept", ""), flow.request.path)
        if secure and self._on_passed is not None:
            self._on_passed(ConnectionEvent("check_passed", developer, flow.client_conn.peername[0], CHECK_HOST,
                                            datetime.fromtimestamp(time.time(), UTC)))
