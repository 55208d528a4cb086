"""The lean addon chain: which of mitmproxy's addons load, and how our parts are folded into one."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from mitmproxy import exceptions, master, options
from mitmproxy.addons import default_addons
from mitmproxy.proxy.layers import http
from mitmproxy.test import tflow

from desktop_app.proxy.chain import (
    LEAN,
    Folded,
    HookDispatch,
    lean_defaults,
    option_name,
    option_owners,
)


def _names(addons: list[object]) -> list[str]:
    return [type(a).__name__ for a in addons]


def test_only_the_lean_addons_load_by_default_in_mitmproxys_order():
    defaults = _names(default_addons())
    loaded = _names(lean_defaults([]))
    assert set(loaded) == LEAN
    assert loaded == [name for name in defaults if name in LEAN]


def test_an_option_loads_the_default_addon_that_owns_it():
    loaded = _names(lean_defaults([option_name("anticache=true"), option_name("modify_headers=/~q/a/b"),
                                   option_name("stream_large_bodies=1m"), "no_such_option"]))
    assert set(loaded) == LEAN | {"AntiCache", "ModifyHeaders"}


def test_every_default_addon_option_has_an_owner():
    owners = option_owners(default_addons())
    assert owners["proxyauth"] == "ProxyAuth"
    assert owners["upstream_auth"] == "UpstreamAuth"
    assert owners["onboarding"] == "Onboarding"


class _Part:
    def __init__(self, name: str, calls: list[str]) -> None:
        self.name, self.calls = name, calls

    def requestheaders(self, flow: object) -> None:
        self.calls.append(f"{self.name}:{flow}")


class _AsyncPart(_Part):
    async def requestheaders(self, flow: object) -> None:  # type: ignore[override]
        await asyncio.sleep(0)
        self.calls.append(f"{self.name}:{flow}")


class _Failing:
    def requestheaders(self, flow: object) -> None:
        raise RuntimeError("boom")

    def response(self, flow: object) -> None:
        raise RuntimeError("boom")


def test_folded_hooks_run_in_order_and_only_hooks_some_part_has_exist():
    calls: list[str] = []
    folded = Folded(_Part("a", calls), _Part("b", calls))
    assert folded.requestheaders("f") is None  # all synchronous: stays synchronous
    assert calls == ["a:f", "b:f"]
    assert not hasattr(folded, "response")


def test_a_folded_hook_becomes_awaitable_from_the_first_async_part():
    calls: list[str] = []
    folded = Folded(_Part("a", calls), _AsyncPart("b", calls), _Part("c", calls))
    pending = folded.requestheaders("f")
    assert calls == ["a:f"]  # the rest waits for the asynchronous part
    asyncio.run(pending)
    assert calls == ["a:f", "b:f", "c:f"]


def test_a_failing_part_is_logged_and_the_next_part_still_runs(caplog):
    calls: list[str] = []
    folded = Folded(_Failing(), _Part("b", calls))
    with caplog.at_level(logging.ERROR):
        folded.requestheaders("f")
        folded.response("f")
    assert calls == ["b:f"]
    assert sum("boom" in (r.exc_text or "") or r.exc_info is not None for r in caplog.records) == 2


class _Hooks:
    """A mitmproxy addon recording its flow hooks; `fail`/`halt` make one hook raise."""

    def __init__(self, name: str, calls: list[str], fail: str = "", halt: str = "") -> None:
        self.name, self.calls, self.fail, self.halt = name, calls, fail, halt

    def _hook(self, hook: str) -> None:
        self.calls.append(f"{self.name}.{hook}")
        if hook == self.fail:
            raise RuntimeError(f"{self.name} failed")
        if hook == self.halt:
            raise exceptions.AddonHalt()

    def request(self, _flow: object) -> None:
        self._hook("request")

    async def response(self, _flow: object) -> None:
        await asyncio.sleep(0)
        self._hook("response")


class _Parent:
    def __init__(self, *children: object) -> None:
        self.name, self.addons = "parent", list(children)


class _Updates(_Hooks):
    def update(self, _flows: object) -> None:
        self._hook("update")


def _dispatched(build: Callable[[HookDispatch, list[str]], Awaitable[None]]) -> list[str]:
    calls: list[str] = []

    async def run() -> None:
        proxy = master.Master(options.Options(), event_loop=asyncio.get_running_loop())
        proxy.addons = HookDispatch(proxy)
        await build(proxy.addons, calls)

    asyncio.run(run())
    return calls


def test_dispatch_runs_each_hook_in_chain_order_and_isolates_a_failure(caplog):
    async def build(addons: HookDispatch, calls: list[str]) -> None:
        addons.add(_Hooks("a", calls), _Parent(_Hooks("b", calls, fail="request"), _Hooks("c", calls)))
        flow = tflow.tflow(resp=True)
        with caplog.at_level(logging.ERROR):
            await addons.handle_lifecycle(http.HttpRequestHook(flow))
        await addons.handle_lifecycle(http.HttpResponseHook(flow))

    assert _dispatched(build) == ["a.request", "b.request", "c.request", "a.response", "b.response", "c.response"]
    assert [r.getMessage() for r in caplog.records] == ["Addon error: b failed"]


def test_dispatch_sends_updates_only_to_addons_that_handle_them_and_stops_on_halt():
    async def build(addons: HookDispatch, calls: list[str]) -> None:
        addons.add(_Hooks("a", calls), _Hooks("b", calls, halt="request"), _Hooks("c", calls))
        await addons.handle_lifecycle(http.HttpRequestHook(tflow.tflow()))
        addons.add(_Updates("u", calls))
        await addons.handle_lifecycle(http.HttpRequestHook(tflow.tflow()))

    assert _dispatched(build) == ["a.request", "b.request", "a.request", "b.request", "u.update"]


def test_dispatch_follows_addons_that_scripts_register_and_remove():
    async def build(addons: HookDispatch, calls: list[str]) -> None:
        parent = _Parent()
        addons.add(_Hooks("a", calls), parent)
        await addons.trigger_event(http.HttpRequestHook(tflow.tflow()))
        child = _Hooks("child", calls)
        parent.addons.append(child)  # the script loader's way: list it under its parent, then register it
        addons.register(child)
        await addons.trigger_event(http.HttpRequestHook(tflow.tflow()))
        addons.remove(child)
        parent.addons.remove(child)
        await addons.trigger_event(http.HttpRequestHook(tflow.tflow()))

    assert _dispatched(build) == ["a.request", "a.request", "child.request", "a.request"]
