"""What a team lead needs to help a stuck developer: refused logins and failed TLS handshakes.

Turns the authenticator's failures and mitmproxy's `tls_failed_client` hook into
`ConnectionEvent`s for the recording pipeline. A failed handshake is attributed to the developer
whose authenticated CONNECT opened the connection (never by client address alone); an alert such
as "unknown ca" or "bad certificate" means the client does not trust the proxy's CA.
"""

import re
from collections.abc import Callable
from datetime import UTC, datetime

from mitmproxy import connection, tls

from desktop_app.core.models import ConnectionEvent, ConnectionEventKind
from desktop_app.core.redaction import redact
from desktop_app.core.team.credentials import AuthResult
from desktop_app.proxy.auth import AuthFailure

Report = Callable[[ConnectionEvent], None]
DETAIL_LIMIT = 200
_UNTRUSTED = re.compile(r"unknown ca|bad certificate|certificate unknown|certificate verify failed", re.IGNORECASE)
_NOT_A_HANDSHAKE = {"connection closed early"}  # the client left before saying anything: nothing to help with
# mitmproxy's words when the client hangs up mid-handshake, as Node.js clients do on an untrusted CA.
_HUNG_UP = "The client disconnected during the handshake"
_HUNG_UP_DETAIL = ("the client hung up during the TLS handshake, as Node.js-based clients (VS Code, the Copilot "
                   "language server, the Copilot CLI) do when they do not trust the CA")
_REASON = re.compile(r" \((.*)\)\s*$")  # mitmproxy appends the TLS library's reason in parentheses


def _kind_of_refusal(failure: AuthFailure) -> ConnectionEventKind:
    if failure.result is AuthResult.DISABLED:
        return "disabled"
    if failure.result is AuthResult.UNKNOWN_USER or not failure.username:
        return "unknown_user"
    return "wrong_password"


def auth_log_reason(failure: AuthFailure) -> str:
    """The `auth.log` reason for a refused login (see `core.auth_log.REASONS`)."""
    return "malformed_credentials" if failure.username is None else _kind_of_refusal(failure)


def refusal_event(failure: AuthFailure) -> ConnectionEvent:
    """The connection event for a refused login (the name as sent, at most 64 characters)."""
    return ConnectionEvent(_kind_of_refusal(failure), (failure.username or "")[:64], failure.source,
                           failure.target[:255], datetime.fromtimestamp(failure.at, UTC))


def handshake_detail(error: str) -> tuple[ConnectionEventKind, str]:
    """Classify a client handshake error as mitmproxy words it: (`untrusted_ca` or `tls_failed`, the reason)."""
    reason = _REASON.search(error)
    short = redact(reason.group(1) if reason else error)[:DETAIL_LIMIT]
    if _UNTRUSTED.search(error):
        return "untrusted_ca", short
    if error.startswith(_HUNG_UP):
        return "untrusted_ca", _HUNG_UP_DETAIL
    return "tls_failed", short


class HandshakeFailures:
    """Proxy hooks (folded, see `chain`): report failed client TLS handshakes, for the developer who made them."""

    def __init__(self, developer_for: Callable[[connection.Client], str | None], report: Report) -> None:
        """Attribute with `developer_for(client)`; hand each event to `report` (non-blocking)."""
        self._developer_for, self._report = developer_for, report

    def tls_failed_client(self, data: tls.TlsData) -> None:
        """Report a failed client handshake inside an authenticated tunnel."""
        error = data.conn.error or ""
        developer = self._developer_for(data.context.client)
        if developer is None or error in _NOT_A_HANDSHAKE:
            return
        address = data.context.server.address
        host = data.conn.sni or (str(address[0]) if address else "")
        kind, detail = handshake_detail(error)
        self._report(ConnectionEvent(kind, developer, str(data.context.client.peername[0]), host[:255],
                                     datetime.now(UTC), detail))
