"""Write a report: pick the format, render it with progress and cancel, save it atomically.

The file appears whole or not at all: a cancel, a failure or a full disk leaves no partial report
(and an earlier file of the same name untouched). Reports name developers, so the file is readable
by the current user only.
"""

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, cast

from desktop_app.core.errors import AppError
from desktop_app.core.fileio import export_private_bytes
from desktop_app.core.paths import AppPaths
from desktop_app.core.reports.aliases import alias_key
from desktop_app.core.reports.data import ReportData, ReportOptions, load_report
from desktop_app.core.reports.formats import FORMAT_INFO, ReportFormat
from desktop_app.core.reports.progress import Progress
from desktop_app.core.store.engine import database_of

_MODULES: Final[dict[ReportFormat, str]] = {
    "csv": "csv_report", "json": "seed_json", "github-ndjson": "github_ndjson",
    "xlsx": "xlsx_report", "html": "html_report", "pdf": "pdf_report",
}
Renderer = Callable[[ReportData, Progress], bytes]


def _renderer(fmt: ReportFormat) -> Renderer:
    # Imported on demand: the Excel and PDF libraries take a noticeable time to import.
    module = importlib.import_module(f"desktop_app.core.reports.{_MODULES[fmt]}")
    return cast("Renderer", module.render)


def check_prompts_fit(fmt: ReportFormat, include_prompts: bool) -> None:
    """Refuse prompts in a format that has no place for them.

    Raises:
        AppError: `fmt` cannot carry prompts and they were asked for.
    """
    if include_prompts and not FORMAT_INFO[fmt].carries_prompts:
        carriers = ", ".join(name for name, info in FORMAT_INFO.items() if info.carries_prompts)
        raise AppError(f"The {fmt} format has no place for prompts; choose {carriers} to include them.")


def check_target(path: Path) -> None:
    """Refuse, before any work, a path the report could not be written to.

    Raises:
        AppError: The folder does not exist or is not writable, or the path is a folder.
    """
    folder = path.parent
    if path.is_dir():
        raise AppError(f"{path} is a folder; choose a file name for the report.")
    if not folder.is_dir():
        raise AppError(f"The folder {folder} does not exist; choose another place for the report.")
    if not os.access(folder, os.W_OK):
        raise AppError(f"Cannot write to {folder} (permission denied); choose another folder for the report.")


def write_report(fmt: ReportFormat, data: ReportData, path: Path, progress: Progress | None = None) -> int:
    """Render `data` as `fmt` and save it to `path`; return the file's size in bytes.

    Raises:
        AppError: The format cannot carry the prompts asked for, or the file could not be written.
        ReportCancelled: `progress` said to stop; nothing was written.
    """
    progress = progress or Progress()
    check_prompts_fit(fmt, bool(data.prompts))
    check_target(path)
    progress.step(0.0, "Preparing")
    content = _renderer(fmt)(data, progress.part(0.0, 0.95))
    progress.step(0.95, "Saving")
    try:
        export_private_bytes(path, content)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise AppError(f"The report could not be saved to {path}: {reason}.", details=repr(exc)) from exc
    progress.on_step(1.0, "Done")  # saved: too late to cancel
    return len(content)


@dataclass(frozen=True)
class ExportResult:
    """What was written, for the line or window that says so."""

    path: Path
    size: int
    period_text: str
    developers: int
    developer_days: int
    prompts_unreadable: int = 0

    @property
    def summary(self) -> str:
        """'2026-11-01 to 2026-11-30, 4 developers, 97 developer-day(s)' (and any prompt left out)."""
        plural = "s" if self.developers != 1 else ""
        text = f"{self.period_text}, {self.developers} developer{plural}, {self.developer_days} developer-day(s)"
        if self.prompts_unreadable:
            text += f"; {self.prompts_unreadable} recorded prompt(s) could not be read and were left out"
        return text


def export_report(paths: AppPaths, fmt: ReportFormat, options: ReportOptions, output: Path, *,
                  recording_level: str, progress: Progress | None = None) -> ExportResult:
    """Read the period from the store under `paths` and write it to `output` (blocking: run it on a worker).

    Everything that can be refused is refused before the store is read.

    Raises:
        AppError: Nothing to report, prompts asked for where there are none or no room for them,
            or the file cannot be written.
        ReportCancelled: `progress` said to stop; nothing was written.
        StoreError: The store could not be read.
    """
    progress = progress or Progress()
    check_prompts_fit(fmt, options.include_prompts)
    check_target(output)
    progress.step(0.0, "Reading the usage store")
    key = alias_key(paths.data_dir) if options.pseudonymize else None
    data = load_report(database_of(paths), paths.content_dir, options, recording_level=recording_level, alias_key=key,
                       per_ide=fmt == "github-ndjson", seed_shape=fmt == "json")
    size = write_report(fmt, data, output, progress.part(0.25, 1.0))
    return ExportResult(output, size, data.period_text, len(data.developers), len(data.rows), data.prompts_unreadable)
