"""The CA guide: how to trust the proxy's CA on each OS and set up each Copilot client.

Pure data shared by the tray's CA guide window and the LAN setup page, so both say exactly the same
thing. Every section is built from a `GuideContext` (where the proxy is, which CA, which setup
page), so commands come with the host, port, file names and fingerprint filled in. A guide never
contains a password: client snippets use the `YOUR-NAME` / `YOUR-PASSWORD` placeholders, and the
developer's real URL comes from their team lead. The sections themselves are in `guide_systems`
and `guide_clients`; this module also says which OS a browser is on and what the lead can see.
"""

import re

from desktop_app.core.guide.clients import client_sections
from desktop_app.core.guide.model import (
    CLIENT_KEYS,
    NAME_PLACEHOLDER,
    PASSWORD_PLACEHOLDER,
    SYSTEM_KEYS,
    GuideContext,
    GuideSection,
    SectionKind,
    Step,
    url_host,
)
from desktop_app.core.guide.systems import system_sections

__all__ = [
    "CLIENT_KEYS", "NAME_PLACEHOLDER", "PASSWORD_PLACEHOLDER", "SYSTEM_KEYS",
    "GuideContext", "GuideSection", "SectionKind", "Step", "client_sections",
    "detect_os", "guide_sections", "system_sections", "url_host", "visibility_notice",
]


def guide_sections(ctx: GuideContext) -> tuple[GuideSection, ...]:
    """Every section: the OS trust stores first, then the clients."""
    return system_sections(ctx) + client_sections(ctx)


_NOT_A_DESKTOP = re.compile(r"iPhone|iPad|iPod|Android|Windows Phone|CrOS", re.IGNORECASE)
_LINUX_DISTRIBUTIONS = (
    ("debian", re.compile(r"\b(Ubuntu|Debian|Mint|Pop!_OS|elementary OS|Kubuntu|Xubuntu)\b", re.IGNORECASE)),
    ("fedora", re.compile(r"\b(Fedora|Red Hat|RHEL|CentOS|Rocky|AlmaLinux)\b", re.IGNORECASE)),
    ("arch", re.compile(r"\b(Arch Linux|Manjaro|EndeavourOS)\b", re.IGNORECASE)),
)


def detect_os(user_agent: str) -> str | None:
    """The `SYSTEM_KEYS` entry a browser's User-Agent points to ("linux" when the distribution is unknown).

    Phones, tablets and ChromeOS get None: none of the sections applies to them. iPads and iPhones
    say "like Mac OS X" and Android says "Linux", so they are ruled out before the desktop checks.
    """
    if not user_agent.strip() or _NOT_A_DESKTOP.search(user_agent):
        return None
    if "Windows" in user_agent:
        return "windows"
    if "Macintosh" in user_agent or "Mac OS X" in user_agent:
        return "macos"
    for key, pattern in _LINUX_DISTRIBUTIONS:
        if pattern.search(user_agent):
            return key
    if "Linux" in user_agent or "X11" in user_agent:
        return "linux"
    return None


_EVERY_REQUEST = ("For each Copilot request, your team lead sees your name, the time, which feature it was "
                  "(completions, chat, agent, CLI and so on), the model, your editor and plugin versions, the "
                  "programming language, token counts and AI credits, the status and how long it took.")
_TELEMETRY = ("They also see how many completions Copilot showed you and how many you accepted, from Copilot's own "
              "telemetry.")
_NO_CONTENT = "Nothing of your code, your prompts or Copilot's answers is recorded."
_NEVER_RECORDED = "Passwords, GitHub tokens and cookies are never recorded."
_ONLY_COPILOT = ("Only Copilot's hosts are decrypted. Other traffic you send through the proxy passes through "
                 "encrypted and unrecorded, and is refused if your team lead turns on Copilot only.")


def _content_sentence(content_retention_days: int) -> str:
    unit = "day" if content_retention_days == 1 else "days"
    return ("Your prompts and Copilot's answers are recorded as well, including the code your editor sends with "
            f"them, with tokens and keys redacted. They are kept for {content_retention_days} {unit}, then deleted.")


def visibility_notice(level: str, content_retention_days: int) -> tuple[str, ...]:
    """Sentences telling a developer exactly what the team lead can see at this recording level.

    `level` is "metadata" or "content"; anything else is described as "content", so a developer is
    never told less than the lead may see.
    """
    recorded = _NO_CONTENT if level == "metadata" else _content_sentence(content_retention_days)
    return (_EVERY_REQUEST, _TELEMETRY, recorded, _NEVER_RECORDED, _ONLY_COPILOT)
