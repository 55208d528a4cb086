"""Progress and cancellation for long report writes, without knowing who shows them."""

from collections.abc import Callable
from dataclasses import dataclass, field

from desktop_app.core.errors import AppError


class ReportCancelled(AppError):  # noqa: N818 - to the person a cancel is not an error
    """The person cancelled the report; nothing was written."""

    def __init__(self) -> None:
        """A fixed sentence: cancelling is not a failure to explain."""
        super().__init__("The report was cancelled; no file was written.")


def _never() -> bool:
    return False


def _ignore(_fraction: float, _what: str) -> None:
    return None


@dataclass(frozen=True)
class Progress:
    """Where a report is (`on_step(fraction 0..1, what)`) and whether to stop (`is_cancelled`)."""

    on_step: Callable[[float, str], None] = field(default=_ignore)
    is_cancelled: Callable[[], bool] = field(default=_never)

    def step(self, fraction: float, what: str) -> None:
        """Say how far the report is; raise ReportCancelled when the person asked to stop.

        Raises:
            ReportCancelled: `is_cancelled()` returned True.
        """
        if self.is_cancelled():
            raise ReportCancelled
        self.on_step(min(max(fraction, 0.0), 1.0), what)

    def part(self, start: float, end: float) -> "Progress":
        """This progress for one stage: its 0..1 maps onto `start`..`end` of the whole."""
        return Progress(lambda f, what: self.on_step(start + (end - start) * f, what), self.is_cancelled)
