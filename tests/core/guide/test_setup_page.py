"""The setup page's HTML: structure, escaping, open sections, downloads and the visibility notice."""

import re
from html import escape
from html.parser import HTMLParser

import pytest

from desktop_app.core.ca import CHECK_HOST
from desktop_app.core.guide import setup_page
from desktop_app.core.guide.ca_guide import (
    CLIENT_KEYS,
    SYSTEM_KEYS,
    GuideContext,
    GuideSection,
    Step,
    client_sections,
    guide_sections,
    system_sections,
    visibility_notice,
)
from desktop_app.core.guide.setup_page import CREDENTIALS_NOTE, LINUX_KEYS, SetupPage, render_setup_page

FINGERPRINT = ":".join(["AB"] * 32)
CONTEXT = GuideContext("192.0.2.2", 8080, "Copilot Insight CA (lead-pc)", FINGERPRINT, "http://192.0.2.2:8081/")
HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>&'


class Section:
    """One `<details>` of the page as a browser would see it."""

    def __init__(self, key: str, opened: bool) -> None:
        self.key, self.opened = key, opened
        self.title = ""
        self.text: list[str] = []


class SectionParser(HTMLParser):
    """Collects the page's `<details>` sections in document order (they are never nested)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[Section] = []
        self._current: Section | None = None
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "details":
            self._current = Section(attributes.get("id") or "", "open" in attributes)
            self.sections.append(self._current)
        elif tag == "h3" and self._current is not None:
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "details":
            self._current = None
        elif tag == "h3":
            self._in_title = False

    def handle_data(self, data):
        if self._current is not None:
            self._current.text.append(data)
            if self._in_title:
                self._current.title += data


def parse_sections(html: str) -> list[Section]:
    parser = SectionParser()
    parser.feed(html)
    parser.close()
    return parser.sections


def open_keys(html: str) -> list[str]:
    return [section.key for section in parse_sections(html) if section.opened]


def render(context: GuideContext = CONTEXT, detected: str | None = None, level: str = "metadata",
           days: int = 30) -> str:
    return render_setup_page(SetupPage(context, level, days, "1.2.3"), detected)


def test_is_a_self_contained_html5_document():
    html = render()
    assert html.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in html
    assert 'name="viewport"' in html
    assert "<title>Copilot Insight — set up your computer</title>" in html
    assert "<h1>Copilot Insight — set up your computer</h1>" in html
    lowered = html.lower()
    for forbidden in ("<script", "<link", "<img", "<iframe", "src=", "@import", "url("):
        assert forbidden not in lowered
    assert "prefers-color-scheme: dark" in html
    assert "user-select: all" in html
    assert "@media print" in html


def test_intro_names_the_proxy_and_the_check_pages():
    html = render()
    assert "<code>192.0.2.2:8080</code>" in html
    assert f'href="http://{CHECK_HOST}/"' in html
    assert f'href="https://{CHECK_HOST}/"' in html
    assert escape(CREDENTIALS_NOTE) in html


def test_ca_box_shows_name_fingerprint_and_the_three_downloads():
    html = render()
    assert escape(CONTEXT.ca_name) in html
    assert FINGERPRINT in html
    for fmt in ("pem", "cer", "p12"):
        assert f'href="/ca/copilot-insight-ca.{fmt}"' in html


def test_every_section_title_is_present():
    html = render()
    sections = {section.key: section for section in parse_sections(html)}
    assert set(sections) == set(SYSTEM_KEYS) | set(CLIENT_KEYS)
    for guide in guide_sections(CONTEXT):
        assert sections[guide.key].title == guide.title
        assert escape(guide.title) in html


def test_commands_appear_escaped_in_code_blocks():
    context = GuideContext(HOSTILE, 8080, "CA", FINGERPRINT)
    html = render(context)
    commands = [step.command for section in guide_sections(context)
                for step in (*section.steps, *section.check, *section.remove) if step.command]
    assert commands
    for command in commands:
        assert re.search(r"<pre><code[^>]*>" + re.escape(escape(command)) + "</code></pre>", html)


def test_hostile_host_fingerprint_and_name_are_escaped():
    context = GuideContext(HOSTILE, 8080, HOSTILE, HOSTILE)
    html = render(context, "windows")
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<img" not in lowered
    assert escape(HOSTILE) in html
    assert "onerror=alert(2)>" not in html


def test_hostile_version_and_level_are_escaped():
    html = render_setup_page(SetupPage(CONTEXT, HOSTILE, 30, HOSTILE), None)
    assert "<script" not in html.lower()


def test_ipv6_host_gets_brackets():
    html = render(GuideContext("fd00::2", 8080, "CA", FINGERPRINT))
    assert "[fd00::2]:8080" in html
    assert "fd00::2:8080" not in html


def test_nothing_is_open_without_a_detected_os():
    assert open_keys(render(detected=None)) == []
    assert open_keys(render(detected="beos")) == []


@pytest.mark.parametrize("key", SYSTEM_KEYS)
def test_detected_os_is_first_and_open(key):
    sections = parse_sections(render(detected=key))
    assert sections[0].key == key
    assert sections[0].opened
    assert [section.key for section in sections if section.opened] == [key]


def test_unknown_linux_opens_every_linux_section():
    html = render(detected="linux")
    assert open_keys(html) == list(LINUX_KEYS)
    assert [section.key for section in parse_sections(html)][:3] == list(LINUX_KEYS)


def test_clients_follow_the_systems_collapsed():
    keys = [section.key for section in parse_sections(render(detected="windows"))]
    assert keys[len(SYSTEM_KEYS):] == list(CLIENT_KEYS)


def test_other_systems_are_one_click_away():
    html = render(detected="windows")
    for key in SYSTEM_KEYS:
        assert f'href="/?os={key}#{key}"' in html


@pytest.mark.parametrize("key", SYSTEM_KEYS)
def test_detected_os_download_is_emphasised(key):
    fmt = next(section.download for section in system_sections(CONTEXT) if section.key == key)
    html = render(detected=key)
    recommended = re.findall(r'<li class="recommended">.*?</li>', html)
    assert recommended
    assert any(f'href="/ca/copilot-insight-ca.{fmt}"' in item for item in recommended)


def test_no_download_is_emphasised_without_a_detected_os():
    assert 'class="recommended"' not in render(detected=None)


@pytest.mark.parametrize("level", ["metadata", "content"])
def test_visibility_notice_is_shown(level):
    html = render(level=level, days=14)
    assert "What your team lead can see" in html
    for sentence in visibility_notice(level, 14):
        assert escape(sentence) in html


def test_visibility_notice_changes_with_level():
    def notice(level: str) -> str:
        html = render(level=level)
        return html[html.index('id="visibility"'):].split("</section>", 1)[0]

    assert notice("metadata") != notice("content")


def test_sections_render_summary_check_undo_and_references(monkeypatch):
    section = GuideSection(
        key="windows", title="Windows <10>", kind="system", summary="Trust & use.", download="cer",
        steps=(Step("Open <this>.", "certutil -addstore Root x.cer & echo ok", "cmd"), Step("No command.")),
        check=(Step("Open the check page.", "curl https://insight.check/", "shell"),),
        remove=(Step("Remove it.", "certutil -delstore Root x", "cmd"),),
        references=("https://learn.microsoft.com/a?b=1&c=2", "javascript:alert(1)"))
    monkeypatch.setattr(setup_page, "system_sections", lambda ctx: (section,))
    monkeypatch.setattr(setup_page, "client_sections", lambda ctx: ())
    html = render(detected="windows")
    assert "<h3>Windows &lt;10&gt;</h3>" in html
    assert "<p>Trust &amp; use.</p>" in html
    assert '<pre><code class="language-cmd">certutil -addstore Root x.cer &amp; echo ok</code></pre>' in html
    assert "<h4>Check</h4>" in html
    assert "<h4>Undo</h4>" in html
    assert '<a href="https://learn.microsoft.com/a?b=1&amp;c=2" rel="noreferrer">' in html
    assert 'href="javascript:' not in html
    assert "<li>javascript:alert(1)</li>" in html


def test_sections_match_the_guide_for_any_context():
    context = GuideContext("proxy.example", 3128, "CA", FINGERPRINT)
    html = render(context)
    for guide in (*system_sections(context), *client_sections(context)):
        for step in guide.steps:
            assert escape(step.text) in html


def test_the_no_ca_path_is_explained_only_while_the_receiver_runs():
    with_receiver = render(GuideContext("192.0.2.2", 8080, "CA", FINGERPRINT, otlp_port=4318))
    assert '<a href="#opentelemetry">Without the CA</a>' in with_receiver
    assert "does not report inline completions or next edit suggestions" in with_receiver
    assert "http://192.0.2.2:4318" in with_receiver
    assert "Without the CA</a>" not in render(CONTEXT)
