"""Benchmark: `import-logs` of a seed tree of 12,000 request files (10 developers, 30 days).

Run with `python -m pytest -p no:cacheprovider -m benchmark -s tests/benchmarks/test_import_benchmark.py`
(never in the default run). It writes a seed `logs/` tree like the seed script's: per developer
`usage/<user>/completions/` and `usage/<user>/chat/` request files (timestamps spread over 30 days,
every file different: its own timestamp, ids, prompt, answer), an eighth of them the long JetBrains
chat (a big prompt and a reply streamed in hundreds of chunks), plus 35 daily `metrics/` summaries,
five of them for days without request files. It times `SeedImporter(store).run(root)` into a fresh
store and asserts the import target (2,000 files/s), then imports the same tree again and asserts
that nothing is added. Below the target, a cProfile of one more import is printed before failing.
"""

import cProfile
import io
import json
import pstats
import random
import time
from contextlib import closing
from datetime import date, datetime, timedelta

import pytest

from desktop_app.capture.seed_import import SeedImporter
from desktop_app.core.store.database import UsageStore
from tests.fixtures.seed import CHAT, COMPLETION, METRICS

USERS = tuple(f"dev{n:02d}" for n in range(10))
JETBRAINS_USERS = frozenset(USERS[7:])  # their chats are the long JetBrains sample
FILES_PER_USER = 1_200
CHAT_SHARE = 0.25
FIRST_DAY = date(2025, 1, 6)
DAYS = 30
SUMMARY_ONLY_DAYS = 5  # metrics for the days before the request files: imported as summaries
MIN_FILES_PER_SECOND = 2_000  # the target
LANGUAGES = ("python", "typescript", "go", "java", "markdown", "rust")
SEED = 20250106


def _stamp(rng, day_index):
    day = FIRST_DAY + timedelta(days=day_index)
    seconds = rng.randrange(8 * 3600, 19 * 3600)
    moment = datetime(day.year, day.month, day.day) + timedelta(seconds=seconds, microseconds=rng.randrange(10**6))
    return moment.isoformat(timespec="microseconds")


def _completion(rng, index, stamp):
    document = json.loads(json.dumps(COMPLETION))
    language = rng.choice(LANGUAGES)
    created = int(datetime.fromisoformat(stamp).timestamp())
    document["timestamp"] = stamp
    document["proxy-time-consumed"] = f"{rng.uniform(80, 900):.2f}ms"
    document["request"]["content"]["prompt"] += f"\n\n# edit {index}\ndef f{index}(a, b):\n    "
    document["request"]["content"]["extra"]["language"] = language
    for chunk in document["response"]["content"]:
        if isinstance(chunk, dict):
            chunk["id"], chunk["created"] = f"cmpl-{index}", created
    document["response"]["content"][0]["choices"][0]["text"] = f"return a + b + {index}"
    if rng.random() < 0.3:  # an empty suggestion now and then
        document["response"]["content"][0]["choices"][0]["text"] = ""
        document["response"]["content"][1]["choices"][0]["text"] = ""
    return document


def _chat(rng, index, stamp, *, long):
    document = json.loads(json.dumps(CHAT))
    created = int(datetime.fromisoformat(stamp).timestamp())
    document["timestamp"] = stamp
    document["proxy-time-consumed"] = f"{rng.uniform(900, 9000):.2f}ms"
    messages = document["request"]["content"]["messages"]
    messages[1]["content"] = f"Question {index}: what does this code do?"
    first, last = document["response"]["content"][0], document["response"]["content"][1]
    first["id"] = last["id"] = f"chatcmpl-{index}"
    first["created"] = last["created"] = created
    last["usage"] = {"prompt_tokens": 200 + index % 900, "completion_tokens": 20 + index % 300,
                     "total_tokens": 220 + index % 900 + index % 300}
    if not long:  # the VS Code header set, with the short sample
        document["request"]["headers"]["editor-version"] = "vscode/1.96.2"
        document["request"]["headers"]["editor-plugin-version"] = "copilot-chat/0.23.2"
        return document
    # The long JetBrains chat: the file's code in the prompt, the reply streamed token by token.
    code = "\n".join(f"    def method_{n}(self, value):\n        return self.helper_{n}(value) * {n}"
                     for n in range(60))
    messages[0]["content"] += " Follow the user's requirements carefully and to the letter. " * 20
    context = f"```python\n# file: service_{index}.py\nclass Service:\n{code}\n```"
    messages.insert(1, {"role": "user", "content": context})
    words = [f"word{n} " for n in range(rng.randrange(250, 450))]
    deltas = [{"choices": [{"index": 0, "delta": {"content": w}}], "created": created, "id": f"chatcmpl-{index}",
               "model": "gpt-4o-2024-05-13"} for w in words]
    document["response"]["content"] = [deltas[0] | {"choices": [{"index": 0, "delta": {"role": "assistant",
                                                                                          "content": ""}}]},
                                       *deltas, last, ""]
    return document


def _write_tree(root, files_per_user=FILES_PER_USER):
    """Write the seed tree; return (request files, metrics files, bytes)."""
    rng = random.Random(SEED)
    written, size = 0, 0
    for user in USERS:
        for index in range(files_per_user):
            stamp = _stamp(rng, rng.randrange(DAYS))
            number = written
            if rng.random() < CHAT_SHARE:
                kind, document = "chat", _chat(rng, number, stamp, long=user in JETBRAINS_USERS)
                editor = "JetBrains" if user in JETBRAINS_USERS else "vscode"
            else:
                kind, document, editor = "completions", _completion(rng, number, stamp), "vscode"
            document["proxy-authorization"] = f"{user}:password{index}"
            folder = root / "usage" / user / kind
            folder.mkdir(parents=True, exist_ok=True)
            text = json.dumps(document, ensure_ascii=False)
            name = f"{stamp.replace(':', '-')}_{index:06d}_{number:010x}_127.0.0.1_{editor}.json"
            (folder / name).write_text(text, encoding="utf-8")
            written += 1
            size += len(text.encode())
    (root / "metrics").mkdir(parents=True, exist_ok=True)
    metrics = 0
    for offset in range(-SUMMARY_ONLY_DAYS, DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        summary = json.loads(json.dumps(METRICS["usage"]["satomic"]))
        usage = dict.fromkeys((*USERS, "retired"), summary)  # "retired" only ever appears in summaries
        document = {**METRICS, "day": day.isoformat(), "usage": usage}
        (root / "metrics" / f"copilot-usage_{day.isoformat()}.json").write_text(json.dumps(document))
        metrics += 1
    return written, metrics, size


def _count(store):
    with closing(store.read_connection()) as conn:
        return conn.execute("SELECT COUNT(*), COUNT(DISTINCT source_id) FROM usage_events").fetchone()


def _timed_import(store, root):
    start = time.perf_counter()
    result = SeedImporter(store).run(root)
    return result, time.perf_counter() - start


def _profile(root, database):
    profiler = cProfile.Profile()
    with UsageStore.open(database, "UTC") as store:
        profiler.enable()
        SeedImporter(store).run(root)
        profiler.disable()
    for order in ("cumulative", "tottime"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(30)
        print(f"\n--- profile of a third import into a fresh store, by {order} ---\n{text.getvalue()}")


@pytest.mark.benchmark
def test_import_of_a_seed_tree_of_ten_thousand_files(tmp_path):
    root = tmp_path / "logs"
    start = time.perf_counter()
    files, metrics, size = _write_tree(root)
    print(f"\nwrote {files:,} request files + {metrics} metrics files ({size / 1e6:.0f} MB) "
          f"in {time.perf_counter() - start:.1f} s")

    with UsageStore.open(tmp_path / "usage.sqlite3", "UTC") as store:
        first, first_seconds = _timed_import(store, root)
        rows_after_first = _count(store)
        second, second_seconds = _timed_import(store, root)
        rows_after_second = _count(store)
    read = files + metrics
    rate = read / first_seconds
    print(f"first import: {read:,} files in {first_seconds:.2f} s = {rate:,.0f} files/s "
          f"({first.requests:,} requests, {first.summaries} daily summaries, {rows_after_first[0]:,} rows)")
    print(f"second import (nothing new): {second_seconds:.2f} s = {read / second_seconds:,.0f} files/s")
    if rate < MIN_FILES_PER_SECOND:
        _profile(root, tmp_path / "profiled.sqlite3")

    assert first.skipped == []
    assert (first.files, first.requests) == (read, files)
    assert first.summaries == SUMMARY_ONLY_DAYS * (len(USERS) + 1) + DAYS  # "retired" has no request files
    assert rows_after_first[0] == rows_after_first[1] > files  # request rows plus summary stand-ins
    assert rows_after_second == rows_after_first  # idempotent: the second import added no row
    assert (second.files, second.requests, second.skipped) == (read, files, [])
    assert rate >= MIN_FILES_PER_SECOND, f"{rate:,.0f} files/s is below the {MIN_FILES_PER_SECOND:,} files/s target"


@pytest.mark.benchmark
def test_the_tree_holds_only_distinct_importable_files(tmp_path):
    """Idempotency is not what the benchmark measures: no two request files are alike."""
    files, metrics, _ = _write_tree(tmp_path / "logs", files_per_user=40)
    texts = [p.read_bytes() for p in (tmp_path / "logs" / "usage").rglob("*.json")]
    assert len(texts) == files == 40 * len(USERS)
    assert len(set(texts)) == files
    names = [p.name for p in (tmp_path / "logs" / "usage").rglob("*.json")]
    assert len(set(names)) == files
    with UsageStore.open(tmp_path / "usage.sqlite3", "UTC") as store:
        result = SeedImporter(store).run(tmp_path / "logs")
        with closing(store.read_connection()) as conn:
            kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM usage_events "
                                      "WHERE source_id LIKE 'seed:%' GROUP BY kind").fetchall())
            long_chats = conn.execute("SELECT COUNT(*) FROM usage_events WHERE editor = 'pycharm'").fetchone()[0]
    assert (result.files, result.requests, result.skipped) == (files + metrics, files, [])
    assert set(kinds) == {"completion", "model_call"}
    assert long_chats > 0
