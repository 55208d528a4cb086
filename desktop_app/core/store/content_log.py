"""Per-request content files in the seed's layout, written only when content recording is on.

`<content dir>/<developer>/<kind>/<timestamp>_<developer>.json`, one redacted request/response
document each, private to the user. Old files are purged after the retention period.
"""

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from desktop_app.core.fileio import atomic_write_text
from desktop_app.core.models import ContentRecord

logger = logging.getLogger(__name__)


class ContentLog:
    """Writes and purges content files below one folder."""

    def __init__(self, root: Path) -> None:
        """Use `root` (the seed's `logs/usage` folder) for every file."""
        self.root = root

    def path_for(self, record: ContentRecord) -> Path:
        """Where `record` is written: the seed's usage/<user>/<kind>/ layout, named by its UTC start."""
        stamp = record.started_at.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%S.%f")
        return self.root / record.developer / record.kind_folder / f"{stamp}_{record.developer}.json"

    def write(self, record: ContentRecord) -> Path:
        """Write one record atomically and privately; return its path."""
        path = self.path_for(record)
        atomic_write_text(path, json.dumps(record.document, ensure_ascii=False, indent=2, default=str))
        return path

    def purge(self, before: datetime) -> int:
        """Delete content files last modified before `before`; return how many."""
        cutoff = before.timestamp()
        removed = 0
        for path in self.root.glob("*/*/*.json") if self.root.is_dir() else ():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError as exc:
                logger.warning("Could not purge %s: %s", path, exc.strerror)
        if removed:
            logger.info("Purged %d content file(s) older than %s.", removed, before.date().isoformat())
        return removed
