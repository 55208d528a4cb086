"""The LAN setup page's HTML: CA downloads, the CA guide, and what the team lead can see.

Pure rendering, shared nothing but data with the tray's CA guide (`ca_guide`), so the page and the
app say the same thing. The page is one self-contained HTML5 document: inline CSS, no JavaScript,
no external resource, readable without CSS, printable. Every piece of text is HTML-escaped,
including the host name (it comes from the browser's `Host` header). The page only ever shows the
CA certificate's name and fingerprint and links to the certificate downloads: never the CA key,
a credential or usage data.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from desktop_app.core.ca import CHECK_HOST, CaFormat
from desktop_app.core.guide.ca_guide import (
    SYSTEM_KEYS,
    GuideContext,
    GuideSection,
    Step,
    client_sections,
    system_sections,
    url_host,
    visibility_notice,
)
from desktop_app.core.guide.otel_guide import KEY as OTEL_KEY
from desktop_app.core.guide.snippets import OTEL_NOT_COVERED

CA_FORMATS: tuple[CaFormat, ...] = ("pem", "cer", "p12")
CA_PATH_PREFIX = "/ca/"
LINUX = "linux"  # what `detect_os` says for a Linux of unknown distribution
LINUX_KEYS = ("debian", "fedora", "arch")
_FORMAT_LABELS: dict[CaFormat, str] = {
    "pem": "PEM certificate",
    "cer": "DER certificate",
    "p12": "PKCS#12, certificate only",
}
_REFERENCE_SCHEMES = ("https://", "http://")
CREDENTIALS_NOTE = ("Ask your team lead for your proxy credentials (a name and a password); "
                    "this page never shows them.")

_CSS = """
:root { color-scheme: light dark; --fg: #1f2328; --bg: #ffffff; --muted: #59636e; --line: #d1d9e0;
  --code-bg: #f6f8fa; --accent: #0969da; --notice-bg: #fff8c5; --notice-line: #d4a72c; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --code-bg: #151b23;
    --accent: #4493f8; --notice-bg: #272115; --notice-line: #9e6a03; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 52rem; padding: 1rem; color: var(--fg); background: var(--bg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--accent); }
h1 { font-size: 1.6rem; line-height: 1.25; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid var(--line); }
h3 { display: inline; font-size: 1.1rem; }
h4 { margin: 1rem 0 .25rem; font-size: 1rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
pre { background: var(--code-bg); border: 1px solid var(--line); border-radius: 6px; padding: .6rem;
  overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; user-select: all;
  -webkit-user-select: all; cursor: text; }
.fingerprint { overflow-wrap: anywhere; }
.box { border: 1px solid var(--line); border-radius: 8px; padding: .25rem 1rem 1rem; margin: 1rem 0; }
.notice { background: var(--notice-bg); border-color: var(--notice-line); }
.downloads li { margin: .25rem 0; }
.recommended { font-weight: bold; }
details { border: 1px solid var(--line); border-radius: 8px; padding: .5rem 1rem; margin: .75rem 0; }
summary { cursor: pointer; }
.muted, footer { color: var(--muted); }
footer { margin-top: 2rem; font-size: .9rem; }
@media print {
  body { max-width: none; font-size: 11pt; }
  a { color: inherit; }
  details::details-content { content-visibility: visible; display: contents; }
  details, pre, .box { break-inside: avoid; }
  nav { display: none; }
}
"""


@dataclass(frozen=True)
class SetupPage:
    """What the setup page shows; `context` holds the host/port developers set as their proxy."""

    context: GuideContext
    recording_level: str  # "metadata" | "content"
    content_retention_days: int
    app_version: str


def render_setup_page(page: SetupPage, detected: str | None) -> str:
    """The whole page: self-contained HTML5 (inline CSS, no JavaScript, no external resources)."""
    systems = system_sections(page.context)
    opened = open_system_keys(detected)
    body = "\n".join((
        "<h1>Copilot Insight — set up your computer</h1>",
        _intro(page.context),
        _ca_box(page.context, _recommended_formats(systems, opened)),
        f"<p><strong>{_text(CREDENTIALS_NOTE)}</strong></p>",
        _notice(page),
        _systems(systems, opened, detected),
        _clients(client_sections(page.context)),
        _footer(page.app_version),
    ))
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="referrer" content="no-referrer">\n'
            "<title>Copilot Insight — set up your computer</title>\n"
            f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n")


def open_system_keys(detected: str | None) -> tuple[str, ...]:
    """The OS sections shown expanded for `detected` (all Linux ones for an unknown distribution)."""
    if detected == LINUX:
        return LINUX_KEYS
    return (detected,) if detected in SYSTEM_KEYS else ()


def ca_download_path(ctx: GuideContext, fmt: CaFormat) -> str:
    """The page-relative URL a CA format is downloaded from (`/ca/copilot-insight-ca.pem`, ...)."""
    return CA_PATH_PREFIX + ctx.ca_file(fmt)


def _text(value: str) -> str:
    return escape(value, quote=True)


def _recommended_formats(systems: tuple[GuideSection, ...], opened: tuple[str, ...]) -> set[CaFormat]:
    return {section.download for section in systems if section.key in opened}


def _intro(ctx: GuideContext) -> str:
    proxy = _text(f"{url_host(ctx.host)}:{ctx.port}")
    check_http, check_https = f"http://{CHECK_HOST}/", f"https://{CHECK_HOST}/"
    return (f"<p>Your team lead records GitHub Copilot usage through a proxy at <code>{proxy}</code>. "
            "Three steps set up your computer:</p>\n<ol>\n"
            "<li>Trust the team's CA certificate (download it below and follow the steps for your "
            "system).</li>\n"
            "<li>Set the proxy in your editor or Copilot client, with the credentials your team lead "
            "gives you.</li>\n"
            f'<li>Check it works: through the proxy, open <a href="{_text(check_http)}" rel="noreferrer">'
            f'{_text(check_http)}</a> and <a href="{_text(check_https)}" rel="noreferrer">'
            f"{_text(check_https)}</a>.</li>\n</ol>" + _without_ca(ctx))


def _without_ca(ctx: GuideContext) -> str:
    if ctx.otlp_port is None:
        return ""
    return ('<p>Cannot install a certificate on this computer (a locked-down laptop, a company policy)? The Copilot '
            'CLI and VS Code\'s Copilot Chat can send their own usage telemetry instead, with the same name and '
            f'password: see <a href="#{OTEL_KEY}">Without the CA</a> below. {_text(OTEL_NOT_COVERED)}</p>')


def _ca_box(ctx: GuideContext, recommended: set[CaFormat]) -> str:
    items = "\n".join(_download_item(ctx, fmt, fmt in recommended) for fmt in CA_FORMATS)
    return ('<section class="box" id="ca">\n<h2>The CA certificate</h2>\n'
            f"<p>Name: <strong>{_text(ctx.ca_name)}</strong><br>\n"
            f'SHA-256 fingerprint: <code class="fingerprint">{_text(ctx.fingerprint)}</code></p>\n'
            "<p>Compare the fingerprint with the one your system shows before you trust the "
            "certificate. The downloads hold the certificate only, never its key.</p>\n"
            f'<ul class="downloads">\n{items}\n</ul>\n</section>')


def _download_item(ctx: GuideContext, fmt: CaFormat, recommended: bool) -> str:
    name = _text(ctx.ca_file(fmt))
    link = f'<a href="{_text(ca_download_path(ctx, fmt))}" download="{name}">{name}</a>'
    label = _text(_FORMAT_LABELS[fmt])
    if recommended:
        return f'<li class="recommended"><strong>{link}</strong> — {label} (for your system)</li>'
    return f"<li>{link} — {label}</li>"


def _notice(page: SetupPage) -> str:
    sentences = visibility_notice(page.recording_level, page.content_retention_days)
    items = "\n".join(f"<li>{_text(sentence)}</li>" for sentence in sentences)
    headline = ("Only usage is recorded: never your code, prompts or Copilot's answers."
                if page.recording_level == "metadata" else "Prompts and answers are recorded.")
    return ('<section class="box notice" id="visibility">\n<h2>What your team lead can see</h2>\n'
            f"<p><strong>{_text(headline)}</strong></p>\n"
            + (f"<ul>\n{items}\n</ul>\n" if items else "")
            + "</section>")


def _systems(sections: tuple[GuideSection, ...], opened: tuple[str, ...], detected: str | None) -> str:
    first = [section for section in sections if section.key in opened]
    rest = [section for section in sections if section.key not in opened]
    rendered = "\n".join(_section(section, section.key in opened) for section in first + rest)
    return ('<section id="systems">\n<h2>Trust the CA on your system</h2>\n'
            f"{_detected_line(sections, detected, bool(first))}\n"
            f"{_os_links(sections)}\n{rendered}\n</section>")


def _detected_line(sections: tuple[GuideSection, ...], detected: str | None, found: bool) -> str:
    if not found:
        return '<p class="muted">Open the section for your system below.</p>'
    name = "Linux" if detected == LINUX else next(section.title for section in sections if section.key == detected)
    return (f'<p class="muted">Your browser says you use <strong>{_text(name)}</strong>; its section is '
            "open below. Another system? Open its section, or pick it here.</p>")


def _os_links(sections: tuple[GuideSection, ...]) -> str:
    links = " · ".join(f'<a href="/?os={_text(section.key)}#{_text(section.key)}">{_text(section.title)}</a>'
                       for section in sections)
    return f'<nav aria-label="Systems"><p>{links}</p></nav>'


def _clients(sections: tuple[GuideSection, ...]) -> str:
    rendered = "\n".join(_section(section, opened=False) for section in sections)
    return ('<section id="clients">\n<h2>Set the proxy in your Copilot client</h2>\n'
            "<p>Replace the name and password placeholders with the credentials your team lead gives "
            f"you.</p>\n{rendered}\n</section>")


def _section(section: GuideSection, opened: bool) -> str:
    parts = [f'<details id="{_text(section.key)}"{" open" if opened else ""}>',
             f"<summary><h3>{_text(section.title)}</h3></summary>"]
    if section.summary:
        parts.append(f"<p>{_text(section.summary)}</p>")
    parts.append(_steps(section.steps))
    if section.check:
        parts += ["<h4>Check</h4>", _steps(section.check)]
    if section.remove:
        parts += ["<h4>Undo</h4>", _steps(section.remove)]
    if section.references:
        parts += ["<h4>References</h4>", _references(section.references)]
    parts.append("</details>")
    return "\n".join(parts)


def _steps(steps: Iterable[Step]) -> str:
    return "<ol>\n" + "\n".join(_step(step) for step in steps) + "\n</ol>"


def _step(step: Step) -> str:
    text = f"<li><p>{_text(step.text)}</p>"
    if step.command is None:
        return text + "</li>"
    language = f' class="language-{_text(step.language)}"' if step.language else ""
    return f"{text}\n<pre><code{language}>{_text(step.command)}</code></pre></li>"


def _references(references: Iterable[str]) -> str:
    items = []
    for reference in references:
        if reference.startswith(_REFERENCE_SCHEMES):
            items.append(f'<li><a href="{_text(reference)}" rel="noreferrer">{_text(reference)}</a></li>')
        else:
            items.append(f"<li>{_text(reference)}</li>")
    return "<ul>\n" + "\n".join(items) + "\n</ul>"


def _footer(app_version: str) -> str:
    return (f"<footer><p>Copilot Insight {_text(app_version)}. This page is read-only: it offers the CA "
            "certificate and these instructions, never the CA's key, a credential or usage data.</p>"
            "</footer>")
