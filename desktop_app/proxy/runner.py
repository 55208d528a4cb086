"""Runs mitmproxy's `Master` on a thread of its own: start, stop, restart, report failures.

mitmproxy is built to own a process; here it is a component. The runner:
- builds the `Master` inside `asyncio.run()` on a daemon thread (never `DumpMaster`, whose
  ErrorCheck calls `sys.exit` on any startup error in the process), with `chain.HookDispatch` as its
  addon manager;
- adds our addons first, folded into one addon object (authentication must run before anything
  else), then only the default addons the product uses plus those owning an option the caller sets
  (see `chain`), then sets options, so addon-owned options exist when they are set;
- checks in its own `running` hook that the server really listens, because mitmproxy only *logs*
  a bind failure, and turns the failure into a `ProxyStartError` a person understands;
- on stop, closes the listening socket and live connections before shutting the master down
  (`Master.shutdown()` alone leaves the port accepting connections that then hang);
- forwards mitmproxy's error log records to a callback while it runs.

Only one Master may run per process: mitmproxy keeps it in module globals.
"""

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mitmproxy import ctx, exceptions, master, options
from mitmproxy.addons.proxyserver import Proxyserver

from desktop_app.core.errors import ProxyStartError
from desktop_app.core.netinfo import Address, listen_error
from desktop_app.core.redaction import redact
from desktop_app.proxy.chain import Folded, HookDispatch, lean_defaults, option_name

logger = logging.getLogger(__name__)

ErrorCallback = Callable[[str], None]


@dataclass(frozen=True)
class ProxyOptions:
    """What the runner needs to know; `set_options` are mitmdump-style `name=value` strings."""

    listen_host: str
    listen_port: int
    confdir: Path
    allow_hosts: tuple[str, ...]
    set_options: tuple[str, ...] = ()
    scripts: tuple[Path, ...] = ()
    defaults: dict[str, object] = field(default_factory=lambda: {"onboarding": False})


def start_error(exc: BaseException, host: str, port: int) -> ProxyStartError:
    """Translate a bind or option failure into a sentence with the fix."""
    if isinstance(exc, exceptions.OptionsError | KeyError | ValueError):
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return ProxyStartError(f"A proxy option is invalid: {message}", redact(f"{type(exc).__name__}: {exc}"))
    return listen_error(exc, host, port)


class _ErrorForwarder(logging.Handler):
    """Sends mitmproxy's ERROR records to the runner's callback instead of letting them vanish."""

    def __init__(self, callback: ErrorCallback) -> None:
        super().__init__(level=logging.ERROR)
        self._callback = callback

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._callback(redact(record.getMessage()))
        except Exception:  # noqa: BLE001 - a failing callback must not break logging
            self.handleError(record)


class _BindFailureFilter(logging.Filter):
    """Drops mitmproxy's "failed to listen … use `--mode regular@…`" record: `start()` says it in our words."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "failed to listen" not in record.getMessage()


_BIND_FAILURES = _BindFailureFilter()
_PROXYSERVER_LOG = logging.getLogger("mitmproxy.addons.proxyserver")


class _Lifecycle:
    """Part of the folded addon: reports to the starting thread whether the proxy server really came up."""

    def __init__(self, runner: "ProxyRunner") -> None:
        self._runner = runner

    def running(self) -> None:
        proxyserver: Proxyserver = ctx.master.addons.get("proxyserver")
        failures: list[BaseException] = [s.last_exception for s in proxyserver.servers if s.last_exception]
        if ctx.options.deferred:  # set, but no addon or script ever declared them
            names = ", ".join(sorted(ctx.options.deferred))
            failures.append(KeyError(f"unknown option {names}: neither mitmproxy nor a -s script declares it"))
        addresses = proxyserver.listen_addrs()
        if failures or not addresses:
            self._runner.failure = failures[0] if failures else RuntimeError("the proxy server did not start")
            ctx.master.shutdown()
        else:
            host, port = addresses[0][:2]
            self._runner.address = (str(host), int(port))
        self._runner.ready.set()


class ProxyRunner:
    """One embedded mitmproxy, started and stopped from any thread."""

    def __init__(self, opts: ProxyOptions, addons: Sequence[object],
                 on_error: ErrorCallback | None = None) -> None:
        """Prepare a runner; nothing listens until `start()`."""
        self._opts = opts
        self._addons = list(addons)
        self._on_error = on_error
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._master: master.Master | None = None
        self.ready = threading.Event()
        self.failure: BaseException | None = None
        self.address: Address | None = None

    def start(self, timeout: float = 10.0) -> Address:
        """Start listening; return the bound (host, port) or raise `ProxyStartError`."""
        if self._thread is not None:
            raise ProxyStartError("The proxy is already running.")
        self.ready.clear()
        self.failure, self.address = None, None
        self._thread = threading.Thread(target=self._main, name="mitmproxy-loop", daemon=True)
        self._thread.start()
        if not self.ready.wait(timeout):
            self.stop()
            raise ProxyStartError(f"The proxy did not start within {timeout:.0f} seconds.")
        if self.failure is not None or self.address is None:
            failure = self.failure or RuntimeError("no listening address")
            self._join(timeout)
            raise start_error(failure, self._opts.listen_host, self._opts.listen_port) from failure
        logger.info("Proxy listening on %s:%d.", *self.address)
        return self.address

    def stop(self, timeout: float = 10.0) -> None:
        """Close the listening socket and open connections, then stop the loop thread."""
        loop, running = self._loop, self._master
        if loop is not None and running is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in the meantime
                loop.call_soon_threadsafe(lambda: self._keep(loop.create_task(_graceful_shutdown(running))))
        self._join(timeout)

    def _keep(self, task: "asyncio.Task[None]") -> None:
        self._shutdown_task = task  # keep a reference so the task is not collected mid-way

    def _join(self, timeout: float) -> None:
        if self._thread is None:
            return
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.error("The proxy thread did not stop within %.0f seconds.", timeout)
            return
        self._thread = None
        self.address = None

    def _main(self) -> None:
        forwarder = _ErrorForwarder(self._on_error) if self._on_error else None
        _PROXYSERVER_LOG.addFilter(_BIND_FAILURES)
        try:
            asyncio.run(self._amain(forwarder))
        except BaseException as exc:
            self.failure = self.failure or exc
            logger.exception("The proxy thread ended with an error.")
        finally:
            if forwarder is not None:
                logging.getLogger("mitmproxy").removeHandler(forwarder)
            _PROXYSERVER_LOG.removeFilter(_BIND_FAILURES)
            self._master = self._loop = None
            self.ready.set()

    def _configure(self, opts: options.Options) -> None:
        # A default for an option of an addon that is not loaded does not apply (e.g. `onboarding`).
        updates: dict[str, object] = {k: v for k, v in self._opts.defaults.items() if k in opts}
        if self._opts.scripts:
            updates["scripts"] = [str(p) for p in self._opts.scripts]
        opts.update(**updates)
        if self._opts.set_options:
            # Deferred like mitmdump: options of `-s` scripts exist only once the scripts load.
            opts.set(*self._opts.set_options, defer=True)

    async def _amain(self, forwarder: logging.Handler | None) -> None:
        self._loop = asyncio.get_running_loop()
        opts = options.Options(
            confdir=str(self._opts.confdir), listen_host=self._opts.listen_host,
            listen_port=self._opts.listen_port, allow_hosts=list(self._opts.allow_hosts))
        proxy = master.Master(opts, event_loop=self._loop, with_termlog=False)
        proxy.addons = HookDispatch(proxy)  # before any addon: events go straight to the hooks (see `chain`)
        # Master() hooks the root logger to replay every record in the process as mitmproxy's
        # deprecated `add_log` event on the proxy loop; no addon here uses it, and each of our own log
        # lines would cost the proxy thread a hook dispatch (measured: ~10% throughput).
        legacy = getattr(proxy, "_legacy_log_events", None)
        if legacy is not None:
            legacy.uninstall()
        wanted = [option_name(spec) for spec in self._opts.set_options]
        proxy.addons.add(Folded(*self._addons, _Lifecycle(self)), *lean_defaults(wanted))
        try:
            self._configure(opts)
        except (exceptions.OptionsError, KeyError, ValueError) as exc:
            self.failure = exc
            await proxy.done()  # uninstalls the log handler Master() installed
            return
        self._master = proxy
        if forwarder is not None:
            logging.getLogger("mitmproxy").addHandler(forwarder)
        try:
            await proxy.run()
        finally:
            await _close_servers(proxy)


async def _close_servers(proxy: master.Master) -> None:
    proxyserver: Proxyserver = proxy.addons.get("proxyserver")
    if any(s.is_running for s in proxyserver.servers):
        await proxyserver.servers.update([])


async def _graceful_shutdown(proxy: master.Master, timeout: float = 2.0) -> None:
    """Stop accepting, cancel live connections, wait for them briefly, then shut down."""
    proxyserver: Proxyserver = proxy.addons.get("proxyserver")
    loop = asyncio.get_running_loop()
    try:
        await proxyserver.servers.update([])
        for handler in list(proxyserver.connections.values()):
            io = handler.transports.get(handler.client)
            if io is not None and io.handler is not None:
                io.handler.cancel("shutdown")
        deadline = loop.time() + timeout
        while proxyserver.connections and loop.time() < deadline:
            await asyncio.sleep(0.01)
    finally:
        proxy.shutdown()
