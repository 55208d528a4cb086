"""Keeps the garbage collector's full collections short, so they never freeze the GUI thread.

The tray runs the proxy in its own process, so every thread shares one GIL, and a collection of the
oldest generation holds it while it walks every object the process has: measured in the tray soak,
263 ms on the proxy's thread, in which the GUI thread could not run. Most of those objects live as
long as the process (mitmproxy, Qt, pyqtgraph and their modules, the windows). `settle()` moves
everything alive into the collector's permanent generation (`gc.freeze`), once the proxy has started
and again once the charts are loaded, so later collections walk only what was made since; objects
there are still freed when their last reference goes. `release()` at shutdown hands them back to the
collector (a process that builds several applications, as the tests do, frees each one's cycles).
"""

import gc


def settle() -> None:
    """Leave everything alive now out of future collections (cheap: no collection runs)."""
    gc.freeze()


def release() -> None:
    """Let the collector look at everything again (at shutdown)."""
    gc.unfreeze()
