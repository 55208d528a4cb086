"""Diagnostic logging: a private rotating file in the log dir, stderr, and redaction of secrets.

Every handler carries `RedactingFilter`, so even a library that logs a header or a URL with
credentials cannot write a bearer token, a Basic credential or a proxy password to a log.
"""

import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path

from desktop_app.core.paths import ensure_private_dir

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_SECRET_PATTERNS = (
    # Authorization / Proxy-Authorization values, with or without a scheme.
    (re.compile(r"(?i)((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?)(?:basic|bearer|token)?\s*[^\s'\",}]+"),
     r"\1[redacted]"),
    (re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{8,}"), r"\1 [redacted]"),
    (re.compile(r"(?i)\b(gh[opusr]_[A-Za-z0-9]{8,})"), "[redacted-token]"),
    (re.compile(r"\btid=[^\s;'\"]+(;[^\s'\"]*)?"), "[redacted-copilot-token]"),
    # user:password@host in URLs.
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+):[^@\s/]+@"), r"\1:[redacted]@"),
    (re.compile(r"(?i)(cookie['\"]?\s*[:=]\s*)[^\n]+"), r"\1[redacted]"),
)


def redact(text: str) -> str:
    """Return `text` with credentials, tokens and cookies replaced by markers."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message so that no secret reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, redact it, and drop the arguments."""
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure_logging(log_dir: Path | None, level: int = logging.INFO, stream: bool = True) -> None:
    """Route all logging to a private rotating file in `log_dir` and/or stderr, redacted."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_copilot_insight", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = []
    if log_dir is not None:
        ensure_private_dir(log_dir)
        log_file = log_dir / "copilot-insight.log"
        handlers.append(logging.handlers.RotatingFileHandler(
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
