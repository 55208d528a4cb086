"""Diagnostic logging: a private rotating file in the log dir, stderr, and redaction of secrets.

Every handler carries `RedactingFilter`, so even a library that logs a header or a URL with
credentials cannot write a bearer token, a Basic credential or a proxy password to a log.
"""

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from desktop_app.core.paths import ensure_private_dir
from desktop_app.core.redaction import redact

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
class RedactingFilter(logging.Filter):
    """Rewrites each record's message so that no secret reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, redact it, and drop the arguments."""
        if getattr(record, "_redacted", False):  # the first handler's filter already did it
            return True
        record._redacted = True
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
        if record.exc_text:  # also when an earlier handler already rendered it, unredacted
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file that stays readable by its owner only, also after a rollover."""

    def doRollover(self) -> None:  # noqa: N802 - the logging API's name
        """Rotate, then make the new file private again."""
        super().doRollover()
        if os.name == "posix":
            Path(self.baseFilename).chmod(0o600)


def configure_logging(log_dir: Path | None, level: int = logging.INFO, stream: bool = True) -> None:
    """Route all logging to a private rotating file in `log_dir` and/or stderr, redacted."""
    # The format uses none of these; skipping them makes every record (one per request) cheaper.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging.logAsyncioTasks = False  # type: ignore[attr-defined]  # 3.12+, missing from typeshed here
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_copilot_insight", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = []
    if log_dir is not None:
        ensure_private_dir(log_dir)
        log_file = log_dir / "copilot-insight.log"
        handlers.append(_PrivateRotatingFileHandler(
            log_file, maxBytes=5_000_000, backupCount=5, encoding="utf-8"))
        if os.name == "posix":
            log_file.chmod(0o600)
    if stream:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.addFilter(RedactingFilter())
        handler._copilot_insight = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    # mitmproxy is chatty at INFO (every connection); keep its warnings and errors.
    logging.getLogger("mitmproxy").setLevel(max(level, logging.WARNING))
    # fontTools tells every PDF export about each font it subsets, at INFO.
    logging.getLogger("fontTools").setLevel(max(level, logging.WARNING))
