"""The addon chain the embedded Master runs: mitmproxy's few addons the product needs, and ours, folded.

mitmproxy visits every addon in its chain for every event, and a request fires eight (four flow hooks,
each followed by an `update`), so each addon costs every request a few microseconds whether or not it
has the hook. Two things keep the chain short:

- `lean_defaults` loads only the default addons the product uses (`LEAN`). Any other default addon is
  loaded when an option it owns is set (`--set NAME=VALUE` keeps accepting every mitmproxy option),
  found through `option_owners`, a map of option names to default addons built once at start.
- `Folded` is one addon object that runs the hooks of the product's parts (authentication, the
  connection check, the Copilot-only policy, the recorder, diagnostics, the runner's life cycle) in
  the order given. It defines only the hooks some part has, and one part's exception is logged and
  does not stop the next part, as mitmproxy's own `safecall` would.

- `grouped` nests runs of these addons under one parent (mitmproxy's own `addons` attribute, as a script
  nests its children), so that mitmproxy pays its per-addon dispatch (a safecall, a coroutine and a
  generator per event and addon) once per group: measured 1.25 -> 1.15 ms of proxy-loop CPU per request.
  Only the script loader stays on its own, so a failing `-s` script still cannot cost a built-in addon
  its event; within a group, mitmproxy logs a failing hook and the group's later addons miss that event.

To add a part: give it mitmproxy hook methods (`requestheaders`, `error`, ...; sync, `async def`, or
returning an awaitable) and put it in the list the service hands to the runner, where its position says
when it runs relative to the others.
"""

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from mitmproxy import hooks
from mitmproxy.addons import default_addons

# Under mitmproxy's logger, so that the runner forwards a failing hook to the lead as mitmproxy's own addon
# errors were before the folding.
logger = logging.getLogger("mitmproxy.copilot_insight")

# Default addons (by class name) every proxy loads; everything else only on demand.
LEAN = frozenset({"Core", "Block", "DisableH2C", "Proxyserver", "ScriptLoader", "DnsResolver", "NextLayer",
                  "TlsConfig"})
Hook = Callable[..., Awaitable[None] | None]


class _OptionRecorder:
    """Stands in for mitmproxy's `Loader` to learn which options an addon declares."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def add_option(self, name: str, *_args: object, **_kwargs: object) -> None:
        self.names.append(name)

    def add_command(self, *_args: object) -> None:
        """Commands are registered when the addon really loads."""


def option_owners(addons: Iterable[object]) -> dict[str, str]:
    """Map each option the given addons declare in `load()` to the owner's class name."""
    owners: dict[str, str] = {}
    for addon in addons:
        load = getattr(addon, "load", None)
        if load is None:
            continue
        recorder = _OptionRecorder()
        load(recorder)
        for name in recorder.names:
            owners[name] = type(addon).__name__
    return owners


def option_name(spec: str) -> str:
    """The option a mitmdump-style `name=value` (or bare `name`) sets."""
    return spec.split("=", 1)[0].strip()


def lean_defaults(option_names: Iterable[str]) -> list[object]:
    """Mitmproxy's default addons the product uses, plus those owning any of `option_names`, in default order."""
    addons = default_addons()
    owners = option_owners(a for a in addons if type(a).__name__ not in LEAN)
    wanted = LEAN | {owners[name] for name in option_names if name in owners}
    return [a for a in addons if type(a).__name__ in wanted]


class Group:
    """A parent whose `addons` mitmproxy registers and dispatches to as its own, in order."""

    def __init__(self, addons: Sequence[object], index: int) -> None:
        """Nest `addons`; `index` makes the name unique in the chain."""
        self.addons = list(addons)
        self.name = f"copilot_insight_group_{index}"


SEPARATE = frozenset({"ScriptLoader"})  # addons that keep a top-level place of their own


def grouped(addons: Sequence[object]) -> list[object]:
    """`addons` in the same order, each run of them between the `SEPARATE` ones nested in one `Group`."""
    chain: list[object] = []
    run: list[object] = []
    for addon in addons:
        if type(addon).__name__ in SEPARATE:
            if run:
                chain.append(Group(run, len(chain)))
                run = []
            chain.append(addon)
        else:
            run.append(addon)
    if run:
        chain.append(Group(run, len(chain)))
    return chain


def _hook_names() -> list[str]:
    return sorted(hooks.all_hooks)


def _guarded(handler: Hook, args: tuple[object, ...]) -> Awaitable[None] | None:
    try:
        return handler(*args)
    except Exception:  # one part's bug must not stop the others, nor the developer's request
        logger.exception("A proxy hook (%s) failed; the request goes on.", getattr(handler, "__qualname__", handler))
        return None


async def _awaited(pending: Awaitable[None], rest: Sequence[Hook], args: tuple[object, ...]) -> None:
    try:
        await pending
    except Exception:
        logger.exception("A proxy hook failed; the request goes on.")
    for handler in rest:
        result = _guarded(handler, args)
        if result is not None and inspect.isawaitable(result):
            try:
                await result
            except Exception:
                logger.exception("A proxy hook failed; the request goes on.")


def _chained(handlers: Sequence[Hook]) -> Hook:
    """One hook running `handlers` in order; it becomes awaitable from the first handler that is."""

    def run(*args: object) -> Awaitable[None] | None:
        for index, handler in enumerate(handlers):
            result = _guarded(handler, args)
            if result is not None and inspect.isawaitable(result):
                return _awaited(result, handlers[index + 1:], args)
        return None

    return run


class Folded:
    """One mitmproxy addon running the hooks of several parts, in order."""

    name = "copilot_insight"

    def __init__(self, *parts: object) -> None:
        """Fold `parts`; each keeps its own state, and only hooks some part has are defined here."""
        self.parts = parts
        for hook in _hook_names():
            handlers = [h for part in parts if callable(h := getattr(part, hook, None))]
            if handlers:
                setattr(self, hook, _chained(handlers))
