"""The PDF report: the HTML report's content on numbered A4 landscape pages, drawn with fpdf2 (pure Python).

Owns the document (`render`): the cover line, the summary cards, the per-developer table, the
charts (the same `svg_charts` layout the HTML shows, drawn with fpdf2's primitives so their text
stays real, searchable text), then the appendix: the per-developer per-day table (its many columns
split into blocks that fit the page width; left out, saying so, for periods longer than
`APPENDIX_MAX_DAYS`), the prompts when the data has them, a footer with page numbers, and the metadata.

Fonts: fpdf2's core fonts only cover Windows-1252, so the first Unicode TrueType font found in
`FONT_CANDIDATES` is embedded; characters it lacks come from the first font of
`FALLBACK_FONT_CANDIDATES` that has them (each loaded, in order, only when a text needs a character
none of those loaded so far has, and at most `MAX_FALLBACK_FONTS` of them). Whatever no font can
draw becomes "?", as does everything beyond Windows-1252 when no TrueType font exists at all
(core Helvetica): a report is never refused for its characters.
"""

import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from fpdf import FPDF, FontFace
from fpdf.fonts import TTFFont

from desktop_app.core.reports.columns import DAILY_COLUMNS, DailyColumn
from desktop_app.core.reports.data import ReportData
from desktop_app.core.reports.html_report import (
    DEVELOPER_FIGURES,
    DEVELOPER_HEADINGS,
    NUMERIC_KINDS,
    REPORT_TITLE,
    Card,
    breakdowns,
    cover_line,
    daily_cell,
    developer_row,
    footnotes,
    names_note,
    prompt_heading,
    summary_cards,
    truncation_note,
)
from desktop_app.core.reports.progress import Progress
from desktop_app.core.reports.prompts import PromptEntry
from desktop_app.core.reports.svg_charts import Chart, Label, breakdown_chart, daily_chart

_WINDOWS_FONTS: Final = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"


@dataclass(frozen=True)
class FontFiles:
    """A TrueType font: its regular and bold files (the same file when there is no bold one)."""

    regular: Path
    bold: Path
    collection_index: int = 0  # the face within a .ttc collection


def _same(path: str | Path, index: int = 0) -> FontFiles:
    return FontFiles(Path(path), Path(path), index)


FONT_CANDIDATES: tuple[FontFiles, ...] = (
    FontFiles(Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
              Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),  # Debian, Ubuntu
    FontFiles(Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf"),
              Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf")),  # Fedora
    FontFiles(Path("/usr/share/fonts/TTF/DejaVuSans.ttf"), Path("/usr/share/fonts/TTF/DejaVuSans-Bold.ttf")),  # Arch
    FontFiles(Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
              Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf")),
    _same("/System/Library/Fonts/Supplemental/Arial Unicode.ttf"),  # macOS
    _same("/Library/Fonts/Arial Unicode.ttf"),
    FontFiles(Path("/System/Library/Fonts/Supplemental/Arial.ttf"),
              Path("/System/Library/Fonts/Supplemental/Arial Bold.ttf")),
    FontFiles(_WINDOWS_FONTS / "arial.ttf", _WINDOWS_FONTS / "arialbd.ttf"),
    FontFiles(_WINDOWS_FONTS / "segoeui.ttf", _WINDOWS_FONTS / "segoeuib.ttf"),
)
"""Unicode TrueType fonts to embed, the first found wins (tests replace this to force the fallback)."""

FALLBACK_FONT_CANDIDATES: tuple[FontFiles, ...] = (
    _same("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    _same("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
    _same("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"),
    _same("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    _same("/System/Library/Fonts/Supplemental/Arial Unicode.ttf"),
    _same("/Library/Fonts/Arial Unicode.ttf"),
    _same(_WINDOWS_FONTS / "msyh.ttc"),
    _same(_WINDOWS_FONTS / "YuGothM.ttc"),
    _same(_WINDOWS_FONTS / "msgothic.ttc"),
)
"""Fonts for the characters the main font lacks (CJK above all), loaded in order as a text needs them."""

FONT_SIGNATURES: Final = frozenset({b"\x00\x01\x00\x00", b"true", b"OTTO", b"ttcf"})
FAMILY: Final = "report"
FALLBACK_FAMILY: Final = "report-fallback"
"""The fallback fonts are embedded as this family name followed by 1, 2, …"""
MAX_FALLBACK_FONTS: Final = 4
"""At most this many fallback fonts are embedded in one document (files that fail to load do not count)."""
CORE_FAMILY: Final = "helvetica"
CORE_ENCODING: Final = "cp1252"
REPLACEMENT: Final = "?"
CREATOR: Final = "Copilot Insight"

TEXT: Final = "#202020"
BACKGROUND: Final = "#ffffff"
MUTED: Final = "#555555"
RULE: Final = "#d6d6d6"
HEADING_FILL: Final = "#e8e8e8"
STRIPE_FILL: Final = "#f6f6f6"
MARGIN: Final = 12.0
FIGURES_PER_BLOCK: Final = 13
PDF_TREND_WIDTH: Final = 12
"""The per-developer trend has at most this many bars in the PDF (its column is narrow)."""
APPENDIX_MAX_DAYS: Final = 93
"""A PDF of a longer period leaves the day-by-day appendix out (a year of a team is thousands of pages)."""
APPENDIX_LEFT_OUT: Final = ("The day-by-day figures of periods longer than {days} days are left out of the PDF. "
                            "They are in the CSV and Excel reports of the same period (Export report), or in "
                            "a PDF of a shorter period.")
"""At most this many figures (besides day and developer) in one block of the daily table."""
ROWS_PER_TABLE: Final = 150
"""The daily table is drawn in tables of this many rows, reporting progress between them."""
PROMPTS_EVERY: Final = 20
_PT_PER_MM: Final = 72 / 25.4
_INVISIBLE: Final = frozenset({"Cc", "Cf", "Cs"})  # controls, format marks (zero-width), lone surrogates

Align = Literal["LEFT", "RIGHT"]


class ReportPdf(FPDF):
    """An A4 landscape document with the report's font, a footer and text made to fit that font."""

    def __init__(self, footer_text: str, fonts: Sequence[FontFiles], fallbacks: Sequence[FontFiles]) -> None:
        """Start the document with the first usable font of `fonts` (core Helvetica without one)."""
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.footer_text = footer_text
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN + 4)
        self.core_fonts_encoding = CORE_ENCODING
        self.typeface = CORE_FAMILY
        self.glyphs: frozenset[int] | None = None  # None: a core font (Windows-1252)
        self._fallbacks = list(fallbacks)
        self._fallback_glyphs: frozenset[int] = frozenset()
        self._fallback_families: list[str] = []
        for files in fonts:
            if self._add_family(FAMILY, files):
                self.typeface = FAMILY
                self.glyphs = self._cmap(FAMILY) & self._cmap(FAMILY + "B")
                break

    def _add_family(self, family: str, files: FontFiles, *, bold: bool = True) -> bool:
        """Embed `files` as `family` (regular, and bold unless told not to); False when missing or unreadable."""
        if not _looks_like_a_font(files.regular):
            return False
        bold_file = files.bold if _looks_like_a_font(files.bold) else files.regular
        try:
            self.add_font(family, "", files.regular, collection_font_number=files.collection_index)
            if bold:
                self.add_font(family, "B", bold_file, collection_font_number=files.collection_index)
        except Exception:  # noqa: BLE001 - a damaged or unsupported font file: try the next one
            for key in (family, family + "B"):
                _close(self.fonts.pop(key, None))
            return False
        return True

    def close_fonts(self) -> None:
        """Close the font files fpdf2 keeps open (it closes only those it embedded, and only in `output`)."""
        for font in self.fonts.values():
            _close(font)

    def _cmap(self, key: str) -> frozenset[int]:
        return frozenset(getattr(self.fonts[key], "cmap", {}))

    def _covered(self, char: str) -> bool:
        """Whether the main font, or a fallback font, can draw `char` (loading further fallbacks until one has it)."""
        if self.glyphs is None:
            return _in_core_encoding(char)
        code = ord(char)
        if code in self.glyphs or code in self._fallback_glyphs:
            return True
        while self._fallbacks and len(self._fallback_families) < MAX_FALLBACK_FONTS:
            family = f"{FALLBACK_FAMILY}{len(self._fallback_families) + 1}"  # fpdf2 ignores a re-added family
            if self._add_family(family, self._fallbacks.pop(0), bold=False):  # bold text uses it too
                self._fallback_families.append(family)
                self._fallback_glyphs |= self._cmap(family)
                self.set_fallback_fonts(self._fallback_families, exact_match=False)
                if code in self._fallback_glyphs:
                    return True
        return False

    def fit(self, text: str) -> str:
        """`text` with what no font here can draw replaced by "?" (tabs and odd spaces as spaces, controls dropped)."""
        return "".join(self._fit_char(c) for c in text.replace("\r\n", "\n").replace("\t", "    "))

    def _fit_char(self, char: str) -> str:
        if char in "\n ":
            return char
        if char.isspace():
            return " "
        if unicodedata.category(char) in _INVISIBLE:
            return ""
        return char if self._covered(char) else REPLACEMENT

    def use(self, size: float, *, bold: bool = False, colour: str = TEXT) -> None:
        """Write in the report's font at `size` points from now on."""
        self.set_font(self.typeface, "B" if bold else "", size)
        self.set_text_color(colour)

    def footer(self) -> None:
        """The report's title and period on the left, 'Page n of m' on the right."""
        self.set_y(-MARGIN)
        self.use(8, colour=MUTED)
        half = (self.w - 2 * MARGIN) / 2
        self.cell(half, 5, self.fit(self.footer_text), align="L")
        self.cell(half, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def _close(font: object) -> None:
    if isinstance(font, TTFFont):
        font.close()


def _looks_like_a_font(path: Path) -> bool:
    """Whether `path` is a readable TrueType/OpenType font or collection (judged by its first bytes)."""
    try:
        with path.open("rb") as file:
            return file.read(4) in FONT_SIGNATURES
    except OSError:
        return False


def _in_core_encoding(char: str) -> bool:
    try:
        char.encode(CORE_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


# --- text blocks ---------------------------------------------------------------------------------

def _heading(pdf: ReportPdf, text: str, *, new_page: bool = False) -> None:
    if new_page or pdf.will_page_break(30):
        pdf.add_page()
    pdf.use(14, bold=True)
    pdf.multi_cell(0, 8, pdf.fit(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _paragraph(pdf: ReportPdf, text: str, size: float = 10, *, colour: str = TEXT, bold: bool = False) -> None:
    pdf.use(size, bold=bold, colour=colour)
    pdf.multi_cell(0, size * 0.5, pdf.fit(text), new_x="LMARGIN", new_y="NEXT")


def _cover(pdf: ReportPdf, data: ReportData) -> None:
    pdf.add_page()
    pdf.use(20, bold=True)
    pdf.multi_cell(0, 10, REPORT_TITLE, new_x="LMARGIN", new_y="NEXT")
    _paragraph(pdf, cover_line(data), 10)
    _paragraph(pdf, names_note(data), 9, colour=MUTED)
    pdf.ln(3)


def _card(pdf: ReportPdf, x: float, y: float, width: float, card: Card) -> None:
    caption, value = card.caption, card.text
    pdf.set_draw_color(RULE)
    pdf.set_line_width(0.3)
    pdf.rect(x, y, width, 15)
    pdf.set_xy(x + 2, y + 1.5)
    pdf.use(14, bold=True)
    pdf.cell(width - 4, 7, pdf.fit(value))
    pdf.set_xy(x + 2, y + 8.5)
    pdf.use(8, colour=MUTED)
    pdf.cell(width - 4, 5, pdf.fit(caption))


def _summary(pdf: ReportPdf, data: ReportData) -> None:
    _heading(pdf, "Summary")
    cards = summary_cards(data.summary)
    gap, per_row = 3.0, 5
    width = (pdf.epw - gap * (per_row - 1)) / per_row
    top = pdf.get_y()
    for index, card in enumerate(cards):
        _card(pdf, MARGIN + (index % per_row) * (width + gap), top + (index // per_row) * 18, width, card)
    pdf.set_xy(MARGIN, top + ((len(cards) + per_row - 1) // per_row) * 18 + 2)
    for note in footnotes(data.summary):
        _paragraph(pdf, note, 8, colour=MUTED)
    pdf.ln(2)


# --- charts --------------------------------------------------------------------------------------

def _label(pdf: ReportPdf, label: Label, x: float, y: float, scale: float) -> None:
    """`label` with its baseline at `y` mm, anchored at `x` mm, its size scaled from chart units."""
    pdf.use(label.size * scale * _PT_PER_MM, bold=label.bold, colour=label.colour)
    text = pdf.fit(label.text)
    width = pdf.get_string_width(text)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[label.anchor]
    pdf.set_xy(left, y - 0.8 * pdf.font_size)  # a cell as tall as the font puts its baseline 0.8 em down
    pdf.cell(width, pdf.font_size, text)


def draw_chart(pdf: ReportPdf, chart: Chart, x: float, y: float, width: float) -> float:
    """Draw `chart` `width` mm wide with its top left corner at (`x`, `y`) mm; return its height in mm."""
    scale = width / chart.width
    pdf.set_line_width(0.2)
    for rule in chart.rules:
        pdf.set_draw_color(rule.colour)
        pdf.line(x + rule.x1 * scale, y + rule.y1 * scale, x + rule.x2 * scale, y + rule.y2 * scale)
    for bar in chart.bars:
        pdf.set_fill_color(bar.colour)
        pdf.rect(x + bar.x * scale, y + bar.y * scale, bar.width * scale, bar.height * scale, style="F")
    for swatch in chart.swatches:
        pdf.set_fill_color(swatch.colour)
        pdf.rect(x + swatch.x * scale, y + swatch.y * scale, swatch.size * scale, swatch.size * scale, style="F")
    margin, pdf.c_margin = pdf.c_margin, 0.0
    for label in chart.labels:
        _label(pdf, label, x + label.x * scale, y + label.y * scale, scale)
    pdf.c_margin = margin
    return chart.height * scale


def _daily_chart(pdf: ReportPdf, data: ReportData) -> None:
    chart = daily_chart(data.daily)
    height = chart.height * pdf.epw / chart.width
    if pdf.will_page_break(height + 12):  # the heading stays with its chart
        pdf.add_page()
    _heading(pdf, "Trends")
    top = pdf.get_y()
    pdf.set_xy(MARGIN, top + draw_chart(pdf, chart, MARGIN, top, pdf.epw) + 4)


def _breakdown_charts(pdf: ReportPdf, data: ReportData) -> None:
    """The breakdown charts two by two, a new page when a pair does not fit."""
    gap = 8.0
    width = (pdf.epw - gap) / 2
    charts = [breakdown_chart(title, items, unit=unit) for title, items, unit in breakdowns(data)]
    for pair in (charts[i:i + 2] for i in range(0, len(charts), 2)):
        height = max(chart.height * width / chart.width for chart in pair)
        if pdf.will_page_break(height):
            pdf.add_page()
        top = pdf.get_y()
        for index, chart in enumerate(pair):
            draw_chart(pdf, chart, MARGIN + index * (width + gap), top, width)
        pdf.set_xy(MARGIN, top + height + 4)


# --- tables --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _TableStyle:
    """How a table is laid out: column widths (relative), alignments and font size."""

    widths: Sequence[float]
    aligns: Sequence[Align]
    size: float


def _table_part(pdf: ReportPdf, headings: Sequence[str], rows: Sequence[Sequence[str]], style: _TableStyle) -> None:
    """One table of `rows` under `headings`, the headings repeated on every page it spans."""
    pdf.use(style.size)
    heading_style = FontFace(emphasis="BOLD", size_pt=style.size * 0.8, fill_color=HEADING_FILL, color=TEXT)
    pdf.set_draw_color(RULE)
    pdf.set_fill_color(BACKGROUND)  # fpdf2 fills the unstriped rows with the current fill colour
    pdf.set_line_width(0.2)
    with pdf.table(col_widths=tuple(style.widths), text_align=tuple(style.aligns), line_height=style.size * 0.45,
                   headings_style=heading_style, repeat_headings=1, width=pdf.epw, v_align="TOP",
                   cell_fill_mode="ROWS", cell_fill_color=STRIPE_FILL) as table:
        header = table.row()
        for heading in headings:
            header.cell(pdf.fit(heading))
        for cells in rows:
            row = table.row()
            for cell in cells:
                row.cell(pdf.fit(cell))


def _table(pdf: ReportPdf, headings: Sequence[str], rows: Sequence[Sequence[str]], style: _TableStyle,
           progress: Progress | None = None) -> None:
    """The rows as consecutive tables of at most `ROWS_PER_TABLE` rows each.

    fpdf2 draws a table only when it is complete: parts keep the progress moving, and a cancel
    prompt, on a long period.
    """
    parts = range(0, len(rows), ROWS_PER_TABLE)
    for number, first in enumerate(parts):
        if progress is not None:
            progress.step(number / len(parts), "Daily figures")
        _table_part(pdf, headings, rows[first:first + ROWS_PER_TABLE], style)
    pdf.ln(4)


def _developers(pdf: ReportPdf, data: ReportData) -> None:
    _heading(pdf, "Per developer")
    wide = {"developer": 2.0, "last_active": 1.5}
    widths = (*(wide.get(f.key, 1.0) for f in DEVELOPER_FIGURES), 2.0)
    aligns: list[Align] = ["LEFT" if n == 0 else "RIGHT" for n in range(len(DEVELOPER_HEADINGS))]
    rows = [developer_row(t, trend_width=PDF_TREND_WIDTH) for t in data.developers]
    _table(pdf, DEVELOPER_HEADINGS, rows, _TableStyle(widths, aligns, 7))


def daily_blocks(columns: Sequence[DailyColumn] = DAILY_COLUMNS) -> tuple[tuple[DailyColumn, ...], ...]:
    """The daily table's columns in blocks that fit the page's width, every column in one of them.

    Each block starts with the day and the developer, then at most `FIGURES_PER_BLOCK` figures; the
    breakdowns (wide text) come in a block of their own.
    """
    keys = tuple(c for c in columns if c.key in {"day", "developer"})
    figures = [c for c in columns if c not in keys and c.kind != "counts"]
    chunks = [figures[i:i + FIGURES_PER_BLOCK] for i in range(0, len(figures), FIGURES_PER_BLOCK)]
    return tuple((*keys, *chunk) for chunk in chunks if chunk)


def column_widths(block: Sequence[DailyColumn], total: float) -> list[float]:
    """Widths in mm: room for a date and a name, the rest shared out (a breakdown takes four figures' room)."""
    fixed = {"day": 17.0, "developer": 34.0}
    shares = {c.key: 4.0 if c.kind == "counts" else 1.0 for c in block if c.key not in fixed}
    unit = (total - sum(fixed[c.key] for c in block if c.key in fixed)) / sum(shares.values())
    return [fixed[c.key] if c.key in fixed else shares[c.key] * unit for c in block]


def appendix_left_out(data: ReportData) -> bool:
    """Whether the day-by-day appendix is too long for a document (`APPENDIX_MAX_DAYS`)."""
    return data.options.days.length > APPENDIX_MAX_DAYS


def _daily_tables(pdf: ReportPdf, data: ReportData, progress: Progress) -> None:
    if appendix_left_out(data):
        _heading(pdf, "Appendix: per developer per day", new_page=True)
        _paragraph(pdf, APPENDIX_LEFT_OUT.format(days=APPENDIX_MAX_DAYS), 10)
        return
    blocks = daily_blocks()
    for number, block in enumerate(blocks):
        _heading(pdf, f"Appendix: per developer per day ({number + 1} of {len(blocks)})", new_page=number == 0)
        aligns: list[Align] = ["RIGHT" if c.kind in NUMERIC_KINDS else "LEFT" for c in block]
        rows = [[daily_cell(column, row) for column in block] for row in data.rows]
        part = progress.part(0.45 + 0.3 * number / len(blocks), 0.45 + 0.3 * (number + 1) / len(blocks))
        _table(pdf, [c.title for c in block], rows, _TableStyle(column_widths(block, pdf.epw), aligns, 7), part)


# --- prompts -------------------------------------------------------------------------------------

def _prompt(pdf: ReportPdf, entry: PromptEntry, time_zone: str) -> None:
    if pdf.will_page_break(25):
        pdf.add_page()
    _paragraph(pdf, prompt_heading(entry, time_zone), 10, bold=True)
    _paragraph(pdf, "Prompt", 8, colour=MUTED, bold=True)
    _paragraph(pdf, entry.prompt, 9)
    _paragraph(pdf, "Answer", 8, colour=MUTED, bold=True)
    _paragraph(pdf, entry.response, 9)
    pdf.ln(4)


def _prompts(pdf: ReportPdf, data: ReportData, progress: Progress) -> None:
    _heading(pdf, "Prompts and answers", new_page=True)
    _paragraph(pdf, "As recorded, with secrets redacted.", 9, colour=MUTED)
    if data.prompts_truncated:
        _paragraph(pdf, truncation_note(), 9, colour=MUTED)
    pdf.ln(2)
    for index, entry in enumerate(data.prompts):
        if index % PROMPTS_EVERY == 0:
            progress.step(0.75 + 0.15 * index / len(data.prompts), "Prompts")
        _prompt(pdf, entry, data.time_zone)


# --- the document --------------------------------------------------------------------------------

def _document(data: ReportData) -> ReportPdf:
    title = f"{REPORT_TITLE}, {data.period_text}"
    pdf = ReportPdf(title, FONT_CANDIDATES, FALLBACK_FONT_CANDIDATES)
    pdf.set_title(title)
    pdf.set_subject(cover_line(data))
    pdf.set_creator(CREATOR)
    pdf.set_lang("en")
    pdf.set_creation_date(data.generated_at)
    return pdf


def render(data: ReportData, progress: Progress) -> bytes:
    """The report as a PDF document.

    Raises:
        ReportCancelled: `progress` said to stop.
    """
    progress.step(0.0, "Summary")
    pdf = _document(data)
    try:
        _pages(pdf, data, progress)
        progress.step(0.9, "Writing the document")
        return bytes(pdf.output())
    finally:
        pdf.close_fonts()


def _pages(pdf: ReportPdf, data: ReportData, progress: Progress) -> None:
    """Every page's content, in order."""
    _cover(pdf, data)
    _summary(pdf, data)
    progress.step(0.1, "Developers")
    _developers(pdf, data)
    progress.step(0.2, "Charts")
    _daily_chart(pdf, data)
    _breakdown_charts(pdf, data)
    progress.step(0.35, "Appendix")
    _daily_tables(pdf, data, progress)
    if data.prompts:
        _prompts(pdf, data, progress)
