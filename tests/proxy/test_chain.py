"""The lean addon chain: which of mitmproxy's addons load, and how our parts are folded into one."""

import asyncio
import logging

from mitmproxy.addons import default_addons

from desktop_app.proxy.chain import LEAN, Folded, Group, grouped, lean_defaults, option_name, option_owners


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


def test_grouping_keeps_the_order_and_the_script_loader_on_its_own():
    addons = lean_defaults([])
    chain = grouped(addons)
    flat = [a for item in chain for a in (item.addons if isinstance(item, Group) else [item])]
    assert flat == addons
    assert [type(item).__name__ for item in chain] == ["Group", "ScriptLoader", "Group"]
    assert len({item.name for item in chain if isinstance(item, Group)}) == 2
