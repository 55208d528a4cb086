"""Which hosts are Copilot's, which are decrypted, and what family each belongs to.

Only Copilot hosts are TLS-intercepted (mitmproxy `allow_hosts`). mitmproxy matches those
patterns with an unanchored `re.search` against several `host:port` strings, so every pattern
here is anchored at both ends and tolerates an optional port.
"""

import re
from collections.abc import Iterable

_PORT = r"(:\d+)?$"
_PLAN = r"(individual\.|business\.|enterprise\.)?"

# Host families that carry usage (copilot-protocol.md §1.1, §1.2, §1.4).
_FAMILY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("api", rf"^api\.{_PLAN}githubcopilot\.com{_PORT}"),
    ("api", rf"^api-model-lab\.githubcopilot\.com{_PORT}"),
    ("api", rf"^copilot-api\.[a-z0-9-]+\.ghe\.com{_PORT}"),
    ("proxy", rf"^copilot-proxy\.githubusercontent\.com{_PORT}"),
    ("proxy", rf"^proxy\.{_PLAN}githubcopilot\.com{_PORT}"),
    ("proxy", rf"^copilot-proxy\.[a-z0-9-]+\.ghe\.com{_PORT}"),
    ("telemetry", rf"^copilot-telemetry\.githubusercontent\.com{_PORT}"),
    ("telemetry", rf"^telemetry\.{_PLAN}githubcopilot\.com{_PORT}"),
    ("telemetry", rf"^copilot-telemetry(-service)?\.[a-z0-9-]+\.ghe\.com{_PORT}"),
)
_FAMILIES = tuple((family, re.compile(pattern, re.IGNORECASE)) for family, pattern in _FAMILY_PATTERNS)
_IDENTITY = re.compile(rf"^(api\.)?github\.com{_PORT}|^api\.[a-z0-9-]+\.ghe\.com{_PORT}", re.IGNORECASE)

# Decrypted: the usage families plus any other *.githubcopilot.com service (origin-tracker, ...),
# forwarded untouched all the same.
INTERCEPT_PATTERNS: tuple[str, ...] = (
    rf"^([a-z0-9-]+\.)*githubcopilot\.com{_PORT}",
    *(pattern for _, pattern in _FAMILY_PATTERNS if "githubcopilot" not in pattern),
)

# Needed by Copilot clients but never decrypted: sign-in, token exchange, code referencing,
# experiments, attachments (GitHub's Copilot allowlist reference). Allowed in "Copilot only" mode.
_COPILOT_SERVICE_PATTERNS = (
    rf"^(api\.|uploads\.)?github\.com{_PORT}",
    rf"^(copilot-proxy|copilot-telemetry|origin-tracker)\.githubusercontent\.com{_PORT}",
    rf"^default\.exp-tas\.com{_PORT}",
    rf"^([a-z0-9-]+\.)*[a-z0-9-]+\.ghe\.com{_PORT}",
)


def host_pattern(name: str) -> str:
    """Return an anchored pattern for a configured host name (`*.example.com` covers subdomains)."""
    if name.startswith("*."):
        return rf"^([a-z0-9-]+\.)+{re.escape(name[2:])}{_PORT}"
    return rf"^{re.escape(name)}{_PORT}"


def intercept_patterns(extra_hosts: Iterable[str] = ()) -> list[str]:
    """Return mitmproxy `allow_hosts` patterns: Copilot's hosts plus the configured extras."""
    return [*INTERCEPT_PATTERNS, *(host_pattern(h) for h in extra_hosts)]


class HostPolicy:
    """Answers per host: is it intercepted, is it allowed in Copilot-only mode, what family."""

    def __init__(self, extra_hosts: Iterable[str] = ()) -> None:
        """Compile the intercept and service patterns once."""
        self._intercepted = [re.compile(p, re.IGNORECASE) for p in intercept_patterns(extra_hosts)]
        self._services = [re.compile(p, re.IGNORECASE) for p in _COPILOT_SERVICE_PATTERNS]
        self._decided: dict[str, bool] = {}

    def is_intercepted(self, host: str) -> bool:
        """Return whether TLS to `host` is decrypted (and its requests recorded); cached per host."""
        known = self._decided.get(host)
        if known is None:
            known = any(p.search(host) for p in self._intercepted)
            if len(self._decided) >= 4096:  # bounded: hosts are few, but names come from clients
                self._decided.clear()
            self._decided[host] = known
        return known

    def is_copilot_service(self, host: str) -> bool:
        """Return whether `host` is part of Copilot's service (allowed when only Copilot may pass)."""
        return self.is_intercepted(host) or any(p.search(host) for p in self._services)


def host_family(host: str) -> str:
    """Return `api`, `proxy`, `telemetry`, `identity` (GitHub sign-in and tokens) or `other`."""
    family = next((family for family, pattern in _FAMILIES if pattern.search(host)), "other")
    if family == "other" and _IDENTITY.search(host):
        return "identity"
    return family
