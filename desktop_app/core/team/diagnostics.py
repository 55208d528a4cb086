"""Connection diagnostics in words: what went wrong for a developer, and who is knocking unknown.

Pure functions over `usage_query.ConnectionSummary` rows, shared by `users list` and the team
dialog, so both say the same thing.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from desktop_app.core.store.queries import ConnectionSummary

PROBLEM_KINDS = frozenset({"untrusted_ca", "tls_failed", "wrong_password", "disabled", "upstream_failed"})
GOOD_KINDS = frozenset({"check_passed", "upstream_ok"})
UPSTREAM_WINDOW = timedelta(hours=1)
"""How long a failure to reach Copilot counts as current when nothing was tried since."""
REASONS: Final = {
    "dns": "its name could not be resolved (DNS)",
    "refused": "the connection was refused",
    "tls": "its TLS certificate was not accepted",
    "timeout": "it did not answer in time",
    "closed": "it closed the connection",
    "proxy": "the company proxy refused the connection",
    "other": "the connection failed",
}
"""Why the proxy could not reach a host, keyed by the word `proxy.upstream.classify` returns."""

REASONS_SHORT: Final = {"dns": "name not found", "refused": "connection refused", "tls": "certificate not trusted",
                        "timeout": "no answer", "closed": "connection closed", "proxy": "company proxy refused",
                        "other": "connection failed"}
"""The same reasons in two or three words, for the tray's status line."""
SHORT = {
    "upstream_failed": "cannot reach Copilot",
    "untrusted_ca": "does not trust the CA",
    "tls_failed": "TLS handshake failed",
    "wrong_password": "wrong password",
    "disabled": "disabled, still trying",
    "check_passed": "connection check passed",
}


def local_time(moment: datetime) -> str:
    """`YYYY-MM-DD HH:MM` in this computer's time zone."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _times(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def describe(s: ConnectionSummary) -> str:
    """One sentence for one summary row, e.g. for `users list` or a tooltip."""
    where = f"from {s.source}, last {local_time(s.last_at)}"
    if s.kind == "untrusted_ca":
        return (f"{_times(s.count, 'TLS handshake', 'TLS handshakes')} to {s.host} failed: the client does not "
                f"trust the proxy's CA; install it with the CA guide ({where}; {s.detail})")
    if s.kind == "tls_failed":
        return f"{_times(s.count, 'TLS handshake', 'TLS handshakes')} to {s.host} failed: {s.detail} ({where})"
    if s.kind == "wrong_password":
        return f"{_times(s.count, 'wrong password', 'wrong passwords')} ({where})"
    if s.kind == "disabled":
        return f"{_times(s.count, 'attempt', 'attempts')} while disabled ({where})"
    if s.kind == "unknown_user":
        name = f"'{s.username}'" if s.username else "no name"
        return f"{name}: {_times(s.count, 'attempt', 'attempts')} ({where})"
    if s.kind == "check_passed":
        return f"connection check over HTTPS passed ({where})"
    if s.kind.startswith("upstream_"):
        return _describe_upstream(s, where)
    return f"{s.kind}: {s.count} ({where})"


def _describe_upstream(s: ConnectionSummary, where: str) -> str:
    if s.kind == "upstream_ok":
        return f"the proxy reached {s.host} ({where})"
    times = _times(s.count, "time", "times")
    return f"the proxy could not reach {s.host} for them {times}: {upstream_reason(s)} ({where})"


def for_developer(name: str, summaries: Iterable[ConnectionSummary]) -> list[ConnectionSummary]:
    """The rows about `name` (case-insensitive), newest first, unknown-user rows excluded."""
    folded = name.casefold()
    rows = [s for s in summaries if s.kind != "unknown_user" and s.username.casefold() == folded]
    return sorted(rows, key=lambda s: s.last_at, reverse=True)


def current_problem(rows: Sequence[ConnectionSummary], last_request: datetime | None) -> ConnectionSummary | None:
    """The newest problem that nothing good has happened since (a passed check or a recorded request)."""
    good = [s.last_at for s in rows if s.kind in GOOD_KINDS]
    if last_request is not None:
        good.append(last_request)
    since = max(good, default=None)
    problems = [s for s in rows if s.kind in PROBLEM_KINDS and (since is None or s.last_at > since)]
    return max(problems, key=lambda s: s.last_at, default=None)


def status_line(rows: Sequence[ConnectionSummary], last_request: datetime | None) -> str:
    """A short status for a table cell: the current problem, else a passed check, else ''."""
    problem = current_problem(rows, last_request)
    if problem is not None and problem.kind == "upstream_failed":
        return f"Cannot reach Copilot: {problem.host}, {upstream_reason(problem)} ({local_time(problem.last_at)})"
    if problem is not None:
        text = SHORT[problem.kind]
        return f"{text[0].upper()}{text[1:]} ({local_time(problem.last_at)})"
    passed = [s for s in rows if s.kind == "check_passed"]
    if passed:
        return f"Check passed ({local_time(max(s.last_at for s in passed))})"
    return ""


def unknown_usernames(summaries: Iterable[ConnectionSummary], known: Iterable[str]) -> list[ConnectionSummary]:
    """Attempts with names that are not (or no longer) developers here, newest first."""
    names = {n.casefold() for n in known}
    rows = [s for s in summaries if s.kind == "unknown_user" and s.username.casefold() not in names]
    return sorted(rows, key=lambda s: s.last_at, reverse=True)


def upstream_short(s: ConnectionSummary) -> str:
    """The reason of an `upstream_failed` row in two or three words ("connection refused")."""
    return REASONS_SHORT.get(s.detail.partition(":")[0], REASONS_SHORT["other"])


def upstream_reason(s: ConnectionSummary) -> str:
    """The words of an `upstream_failed` row ("the connection was refused"), its detail being "reason: words"."""
    return s.detail.partition(": ")[2] or s.detail


def upstream_problem(summaries: Iterable[ConnectionSummary], now: datetime | None = None) -> ConnectionSummary | None:
    """The newest failure to reach a Copilot host that no later success to that host has cleared.

    Whoever's connection it was: this is the proxy's problem, not a developer's. A failure older than
    `UPSTREAM_WINDOW` with nothing tried since no longer counts.
    """
    cutoff = (now or datetime.now(UTC)) - UPSTREAM_WINDOW
    rows = list(summaries)
    reached: dict[str, datetime] = {}
    for s in rows:
        if s.kind == "upstream_ok":
            reached[s.host] = max(s.last_at, reached.get(s.host, s.last_at))
    failures = [s for s in rows if s.kind == "upstream_failed" and s.last_at >= cutoff
                and s.last_at > reached.get(s.host, cutoff)]
    return max(failures, key=lambda s: s.last_at, default=None)


def upstream_failures(summaries: Iterable[ConnectionSummary]) -> list[tuple[str, int, datetime, str]]:
    """(host, failures, last failure, reason words) per host, most failures first: for `status`."""
    hosts: dict[str, tuple[int, datetime, str]] = {}
    for s in summaries:
        if s.kind != "upstream_failed":
            continue
        count, last, reason = hosts.get(s.host, (0, s.last_at, upstream_reason(s)))
        if s.last_at >= last:
            last, reason = s.last_at, upstream_reason(s)
        hosts[s.host] = (count + s.count, last, reason)
    return sorted(((h, c, last, r) for h, (c, last, r) in hosts.items()), key=lambda row: (-row[1], row[0]))
