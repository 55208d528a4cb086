"""The CA guide's data: the context it is written for, its steps and sections, and their names.

`ca_guide` is the public face; this module holds the types every part of the guide shares.
"""

from dataclasses import dataclass
from typing import Literal

from desktop_app.core.ca import CA_FILE_STEM, CaFormat

NAME_PLACEHOLDER = "YOUR-NAME"
PASSWORD_PLACEHOLDER = "YOUR-PASSWORD"  # noqa: S105 - a placeholder, not a password

SectionKind = Literal["system", "client"]
SYSTEM_KEYS = ("windows", "macos", "debian", "fedora", "arch")
CLIENT_KEYS = ("vscode", "jetbrains", "visual-studio", "vim", "neovim", "copilot-cli", "xcode", "cli-tools",
               "opentelemetry")


@dataclass(frozen=True)
class GuideContext:
    """What the guide fills in: where developers reach the proxy, the CA, and the setup page."""

    host: str
    port: int
    ca_name: str  # the CA certificate's common name, as trust stores list it
    fingerprint: str  # SHA-256, upper-case hex pairs separated by colons
    setup_url: str | None = None  # e.g. "http://192.0.2.2:8081/"; None when the setup page is off
    otlp_port: int | None = None  # the OpenTelemetry receiver's port on `host`; None when it is off

    def ca_file(self, fmt: CaFormat) -> str:
        """The file name the CA is downloaded or exported as (`copilot-insight-ca.pem`, ...)."""
        return f"{CA_FILE_STEM}.{fmt}"

    @property
    def placeholder_url(self) -> str:
        """The proxy URL with placeholders for the credentials the lead hands out."""
        return f"http://{NAME_PLACEHOLDER}:{PASSWORD_PLACEHOLDER}@{url_host(self.host)}:{self.port}"


def url_host(host: str) -> str:
    """`host` as written in a URL: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True)
class Step:
    """One thing to do: a sentence, optionally with text to copy (a command or a settings snippet)."""

    text: str
    command: str | None = None
    language: str = ""  # how `command` is written: shell, powershell, cmd, json, vim, lua, text


@dataclass(frozen=True)
class GuideSection:
    """The instructions for one OS trust store or one Copilot client."""

    key: str  # one of SYSTEM_KEYS or CLIENT_KEYS
    title: str
    kind: SectionKind
    summary: str  # one or two sentences: what this section achieves
    download: CaFormat  # the CA file format this section uses
    steps: tuple[Step, ...]
    check: tuple[Step, ...]  # how to see that it worked (links to insight.check where it can)
    remove: tuple[Step, ...]  # how to undo it
    references: tuple[str, ...]  # vendor documentation the steps were checked against
