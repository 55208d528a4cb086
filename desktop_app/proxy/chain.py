"""The addon chain the embedded Master runs: mitmproxy's few addons the product needs, and ours, folded.

mitmproxy visits every addon in its chain for every event, and a request fires eight (four flow hooks,
each followed by an `update`), so each addon costs every request a few microseconds whether or not it
has the hook. Three things keep that cost down:

- `lean_defaults` loads only the default addons the product uses (`LEAN`). Any other default addon is
  loaded when an option it owns is set (`--set NAME=VALUE` keeps accepting every mitmproxy option),
  found through `option_owners`, a map of option names to default addons built once at start.
- `Folded` is one addon object that runs the hooks of the product's parts (connection hygiene,
  authentication, the connection check, the Copilot-only policy, the recorder, handshake failures, the
  upstream watch, the company-proxy login, the runner's life cycle) in the order given. It defines only
  the hooks some part has, and one part's exception is logged and does not stop the next part, as
  mitmproxy's own `safecall` would.
- `HookDispatch` replaces mitmproxy's addon manager: it sends each event only to the addons that have
  its hook (looked up once, again whenever the chain changes), and skips the `update` event that follows
  every flow event when no addon handles it. Measured with py-spy under the proxy benchmark: mitmproxy's
  share of the loop's time for hook dispatch went from about 7% to 2.5% (about 50 µs per request). Each
  handler runs in its own `safecall`, so a failing hook (also of a `-s` script) costs no other addon
  its event.

To add a part: give it mitmproxy hook methods (`requestheaders`, `error`, ...; sync, `async def`, or
returning an awaitable) and put it in the list the service hands to the runner, where its position says
when it runs relative to the others.
"""

import inspect
import logging
import types
from collections.abc import Awaitable, Callable, Iterable, Sequence

from mitmproxy import addonmanager, exceptions, flow, hooks
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


class HookDispatch(addonmanager.AddonManager):
    """mitmproxy's `AddonManager`, dispatching each event straight to the addons that have its hook.

    mitmproxy walks the whole addon tree for every event (a safecall, a coroutine and generators per
    top-level addon, an attribute lookup per addon) and follows every flow event with an `update`
    event, although no addon the product loads handles it. Here the handlers of each event are looked
    up once and kept until the tree changes (`add`, `register`, `remove`, `clear`: how mitmproxy and
    its script loader change it); an event nobody handles costs nothing, and each handler runs in its
    own `safecall`, so one failing hook no longer costs the addons after it the event.
    """

    def __init__(self, master: object) -> None:
        """Dispatch for `master` (built in place of the manager `Master()` made)."""
        super().__init__(master)  # type: ignore[no-untyped-call]
        self._handlers: dict[str, tuple[Callable[..., object], ...]] = {}

    def _handlers_of(self, event: hooks.Hook) -> tuple[Callable[..., object], ...]:
        handlers = self._handlers.get(event.name)
        if handlers is None:
            found: list[Callable[..., object]] = []
            for addon in addonmanager.traverse(self.chain):
                handler = getattr(addon, event.name, None)
                if handler is None or isinstance(handler, types.ModuleType):  # `from mitmproxy import log`
                    continue
                if not callable(handler):
                    raise exceptions.AddonManagerError(f"Addon handler {event.name} ({addon}) not callable")
                found.append(handler)
            handlers = self._handlers[event.name] = tuple(found)
        return handlers

    def _changed(self) -> None:
        self._handlers.clear()

    def register(self, addon: object) -> object:
        """Register `addon` (see `AddonManager.register`) and forget the handlers found so far."""
        try:
            return super().register(addon)  # type: ignore[no-untyped-call]
        finally:
            self._changed()

    def add(self, *addons: object) -> None:
        """Add `addons` to the chain (see `AddonManager.add`)."""
        try:
            super().add(*addons)  # type: ignore[no-untyped-call]
        finally:
            self._changed()

    def remove(self, addon: object) -> None:
        """Remove `addon` and its children (see `AddonManager.remove`)."""
        try:
            super().remove(addon)  # type: ignore[no-untyped-call]
        finally:
            self._changed()

    def clear(self) -> None:
        """Remove every addon (see `AddonManager.clear`)."""
        try:
            super().clear()  # type: ignore[no-untyped-call]
        finally:
            self._changed()

    async def handle_lifecycle(self, event: hooks.Hook) -> None:
        """Trigger `event`, then `update` for its flow if any addon handles that."""
        args = event.args()
        await self._run(event, args)
        message = args[0]
        if isinstance(message, flow.Flow) and self._handlers.get("update", True):
            update = hooks.UpdateHook([message])
            await self._run(update, update.args())

    async def trigger_event(self, event: hooks.Hook) -> None:
        """Run `event`'s handlers in chain order (awaiting those that are asynchronous) until one halts it."""
        await self._run(event, event.args())

    async def _run(self, event: hooks.Hook, args: list[object]) -> None:
        try:
            handlers = self._handlers_of(event)
        except exceptions.AddonManagerError:
            logger.exception("An addon's %s hook is not callable.", event.name)
            return
        for handler in handlers:
            try:
                with addonmanager.safecall():
                    result = handler(*args)
                    if result is not None and inspect.isawaitable(result):
                        await result
            except exceptions.AddonHalt:
                return
