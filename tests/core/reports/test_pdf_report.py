"""The PDF report: paginated, readable back as text, never blank, and safe with any character."""

import dataclasses
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest

from desktop_app.core.figures import display_text, figure
from desktop_app.core.reports import pdf_report
from desktop_app.core.reports.columns import DAILY_COLUMNS
from desktop_app.core.reports.pdf_report import FontFiles, daily_blocks, render
from desktop_app.core.reports.progress import Progress, ReportCancelled
from desktop_app.core.reports.prompts import PromptEntry
from desktop_app.core.store.dashboard import DayRange

DEVELOPERS = ("dev00", "dev01", "dev02", "dev03")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
needs_dejavu = pytest.mark.skipif(not (DEJAVU / "DejaVuSans.ttf").is_file(), reason="DejaVu Sans is not installed")


def pages_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def font_names(content: bytes) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(content)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.fixture(scope="module")
def week_pdf(week_report) -> bytes:
    return render(week_report, Progress())


@pytest.fixture(scope="module")
def week_text(week_pdf) -> list[str]:
    return pages_text(week_pdf)


@pytest.fixture
def only_core_fonts(monkeypatch):
    monkeypatch.setattr(pdf_report, "FONT_CANDIDATES", ())
    monkeypatch.setattr(pdf_report, "FALLBACK_FONT_CANDIDATES", ())


@pytest.fixture
def only_dejavu(monkeypatch):
    monkeypatch.setattr(pdf_report, "FONT_CANDIDATES",
                        (FontFiles(DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"),))
    monkeypatch.setattr(pdf_report, "FALLBACK_FONT_CANDIDATES", ())


def test_first_page_states_period_time_zone_and_recording_level(week_report, week_text):
    first = week_text[0]
    assert first.startswith("Copilot usage report")
    assert ("Period: 2026-11-02 to 2026-11-08 · Time zone: UTC · Recording level: usage only · "
            f"Generated: {week_report.generated_at:%Y-%m-%d %H:%M}") in first
    assert "Developer names are shown as recorded." in first


def test_pages_are_numbered(week_text):
    assert len(week_text) > 1
    for number, text in enumerate(week_text, 1):
        assert f"Page {number} of {len(week_text)}" in text


def test_every_developer_and_the_summary_figures_appear(week_report, week_text):
    text = "\n".join(week_text)
    for name in DEVELOPERS:
        assert name in text
    summary = week_report.summary
    tokens = display_text(summary.tokens, figure("tokens"))
    for text_figure in (f"{summary.requests:,}", tokens, f"{summary.ai_credits:,.2f}",
                        f"{summary.acceptance_rate:.1%}", f"{summary.user_interactions:,}",
                        f"{summary.agent_requests:,}"):
        assert text_figure in week_text[0], text_figure
    assert "Per developer" in week_text[0] and text.index("Per developer") < text.index("Trends")  # table, then charts
    assert "Requests per day, by developer" in text
    assert "Appendix: per developer per day" in text
    for title in ("Interactions by mode", "Model calls by model", "Completions requested by language",
                  "Requests by editor"):
        assert title in text
    for row in week_report.rows[:3]:
        assert f"{row.prompt_tokens:,}" in text


def test_daily_table_blocks_hold_every_column_once():
    blocks = daily_blocks()
    assert all([c.key for c in block[:2]] == ["day", "developer"] for block in blocks)
    figures = [c.key for block in blocks for c in block[2:]]
    assert sorted(figures) == sorted(c.key for c in DAILY_COLUMNS[2:] if c.kind != "counts")  # no breakdowns
    assert all(len(block) <= 2 + pdf_report.FIGURES_PER_BLOCK for block in blocks)


def test_every_page_is_drawn(week_pdf):
    document = pdfium.PdfDocument(week_pdf)
    try:
        assert len(document) > 1
        for index in range(len(document)):
            pixels = document[index].render(scale=0.5).to_numpy()
            body = pixels[: int(pixels.shape[0] * 0.9)]  # above the footer, which every page has
            dark = (body[..., :3] < 200).any(axis=-1).sum()
            assert dark > 2000, f"page {index + 1} looks blank"
    finally:
        document.close()


def test_metadata(week_report, week_pdf):
    info = pypdf.PdfReader(io.BytesIO(week_pdf)).metadata
    assert info is not None
    assert info.title == "Copilot usage report, 2026-11-02 to 2026-11-08"
    assert info.creation_date is not None
    assert info.creation_date.replace(microsecond=0) == week_report.generated_at.replace(microsecond=0)
    assert info.creator == "Copilot Insight"


def test_the_same_data_gives_the_same_document(week_report, week_pdf):
    assert render(week_report, Progress()) == week_pdf


def test_pseudonymized_document_names_nobody(pseudonymized_report):
    text = "\n".join(pages_text(render(pseudonymized_report, Progress())))
    for name in DEVELOPERS:
        assert name not in text
    assert "pseudonymized" in text
    assert text.count("developer-") >= 4 * 7


@needs_dejavu
def test_a_unicode_font_keeps_the_prompts_characters(only_dejavu, report_with_prompts):
    content = render(report_with_prompts, Progress())
    text = "\n".join(pages_text(content))
    assert "Prompts and answers" in text
    assert "Refactor <Parser> & add tests" in text
    assert "— “quotes”" in text and "Latin-1 → use UTF-8." in text
    assert "Why does ??? input fail?" in text  # DejaVu has no CJK and no fallback font is offered here
    assert any("DejaVuSans" in name for name in font_names(content))


@needs_dejavu
def test_a_fallback_font_draws_what_the_main_font_lacks(monkeypatch, report_with_prompts):
    monkeypatch.setattr(pdf_report, "FONT_CANDIDATES",
                        (FontFiles(DEJAVU / "DejaVuSansMono.ttf", DEJAVU / "DejaVuSansMono-Bold.ttf"),))
    monkeypatch.setattr(pdf_report, "FALLBACK_FONT_CANDIDATES",
                        (FontFiles(DEJAVU / "missing.ttf", DEJAVU / "missing.ttf"),
                         FontFiles(DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans.ttf")))
    prompt = PromptEntry("dev02", datetime(2026, 11, 5, 8, 0, tzinfo=UTC), "ask", "gpt-5",
                         "Letters \u01c4 and \u01c5 (not in the mono font)", "ok")
    content = render(dataclasses.replace(report_with_prompts, prompts=(prompt,)), Progress())
    text = "\n".join(pages_text(content))
    assert "Letters \u01c4 and \u01c5 (not in the mono font)" in text
    assert {n.split("+")[-1] for n in font_names(content)} >= {"DejaVuSansMonoBook", "DejaVuSansBook"}


@needs_dejavu
def test_every_fallback_font_is_used_not_only_the_first(monkeypatch, report_with_prompts):
    mono = FontFiles(DEJAVU / "DejaVuSansMono.ttf", DEJAVU / "DejaVuSansMono-Bold.ttf")
    monkeypatch.setattr(pdf_report, "FONT_CANDIDATES", (mono,))
    monkeypatch.setattr(pdf_report, "FALLBACK_FONT_CANDIDATES",
                        (mono, FontFiles(DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans.ttf")))
    prompt = PromptEntry("dev02", datetime(2026, 11, 5, 8, 0, tzinfo=UTC), "ask", "gpt-5",
                         "Letters \u01c4 (only in the second fallback)", "ok")
    content = render(dataclasses.replace(report_with_prompts, prompts=(prompt,)), Progress())
    text = "\n".join(pages_text(content))
    assert "Letters \u01c4 (only in the second fallback)" in text
    assert "DejaVuSansBook" in {n.split("+")[-1] for n in font_names(content)}


@needs_dejavu
def test_at_most_a_few_fallback_fonts_are_loaded(tmp_path):
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font at all" * 10)
    mono = FontFiles(DEJAVU / "DejaVuSansMono.ttf", DEJAVU / "DejaVuSansMono.ttf")
    fallbacks = [FontFiles(broken, broken), mono] * 10  # none has CJK; the broken ones do not count
    pdf = pdf_report.ReportPdf("title", (mono,), fallbacks)
    try:
        assert pdf.fit("\u4e2d \u6587") == "? ?"
        loaded = [key for key in pdf.fonts if key.startswith(pdf_report.FALLBACK_FAMILY)]
        assert len(loaded) == pdf_report.MAX_FALLBACK_FONTS
    finally:
        pdf.close_fonts()


def test_without_a_unicode_font_helvetica_replaces_what_it_cannot_draw(only_core_fonts, report_with_prompts):
    content = render(report_with_prompts, Progress())
    text = "\n".join(pages_text(content))
    assert "Why does ??? input fail? — “quotes”" in text  # Windows-1252 has the dash and quotes
    assert "Latin-1 ? use UTF-8." in text
    assert "Period: 2026-11-02 to 2026-11-08 · Time zone: UTC" in text
    assert {name.lstrip("/") for name in font_names(content)} <= {"Helvetica", "Helvetica-Bold"}
    assert len(pdfium.PdfDocument(content)) > 1


def test_unreadable_font_files_are_skipped(monkeypatch, tmp_path, report_with_prompts):
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font at all" * 10)
    monkeypatch.setattr(pdf_report, "FONT_CANDIDATES", (FontFiles(tmp_path / "absent.ttf", tmp_path / "absent.ttf"),
                                                        FontFiles(broken, broken)))
    monkeypatch.setattr(pdf_report, "FALLBACK_FONT_CANDIDATES", (FontFiles(broken, broken),))
    text = "\n".join(pages_text(render(report_with_prompts, Progress())))
    assert "Why does ??? input fail?" in text


def test_control_characters_and_tabs_do_not_break_the_text(only_core_fonts, report_with_prompts):
    prompt = PromptEntry("dev02", datetime(2026, 11, 5, 8, 0, tzinfo=UTC), "ask", "gpt-5",
                         "bell\x07 tab\there\r\nnext\u00a0line zero\u200bwidth", "done\x00 \ud800")
    text = "\n".join(pages_text(render(dataclasses.replace(report_with_prompts, prompts=(prompt,)), Progress())))
    assert "bell tab    here" in text and "next line zerowidth" in text and "done" in text


def test_progress_climbs_and_a_cancel_stops_it(week_report, report_with_prompts):
    seen: list[float] = []
    render(report_with_prompts, Progress(on_step=lambda f, _what: seen.append(f)))
    assert seen == sorted(seen) and len(seen) >= 6 and seen[-1] == 0.9

    with pytest.raises(ReportCancelled):
        render(week_report, Progress(is_cancelled=lambda: True))
    calls: list[float] = []
    with pytest.raises(ReportCancelled):
        render(week_report, Progress(on_step=lambda f, _w: calls.append(f), is_cancelled=lambda: len(calls) >= 4))
    assert len(calls) == 4


def test_a_long_daily_table_is_drawn_in_parts_with_progress_between(monkeypatch, week_report):
    monkeypatch.setattr(pdf_report, "ROWS_PER_TABLE", 10)
    steps: list[float] = []
    text = "\n".join(pages_text(render(week_report, Progress(on_step=lambda f, what: steps.append(f)
                                                             if what == "Daily figures" else None))))
    assert len(steps) == len(daily_blocks()) * 3  # 28 rows: parts of 10, 10 and 8
    assert steps == sorted(steps) and steps[0] >= 0.45 and steps[-1] < 0.75
    for row in week_report.rows:
        assert f"{row.prompt_tokens:,}" in text
        assert f"{row.cached_tokens:,}" in text

    with pytest.raises(ReportCancelled):
        render(week_report, Progress(is_cancelled=lambda: len(steps) > 3 * len(daily_blocks()) + 4,
                                     on_step=lambda f, what: steps.append(f) if what == "Daily figures" else None))


def test_a_long_period_leaves_the_appendix_out_and_says_how_to_get_it(week_report):
    long = dataclasses.replace(week_report, options=dataclasses.replace(
        week_report.options, days=DayRange(week_report.options.days.last - timedelta(days=120),
                                           week_report.options.days.last)))
    text = "\n".join(pages_text(render(long, Progress())))
    assert "left out of the PDF" in text and "CSV and Excel" in text
    assert f"{week_report.rows[0].cached_tokens:,}" not in text.split("Appendix")[-1]
