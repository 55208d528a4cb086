"""`kill -9` in the middle of the store's longest writes: a rollup refresh and a content file.

A child process does the work and says when it is under way; this test kills it (by its PID) at a random moment
soon after, several times, then checks that the store opens cleanly and that nothing half-written is visible.
"""

import contextlib
import json
import random
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

from desktop_app.core.store.content_log import ContentLog
from desktop_app.core.store.database import UsageStore
from tests.benchmarks.synthetic import SyntheticSpec, chunked, generate_batches

ROOT = Path(__file__).resolve().parents[3]
ROUNDS = 5

REFRESH_CHILD = """
import sys
from pathlib import Path
from desktop_app.core.store.database import UsageStore
store = UsageStore.open(Path(sys.argv[1]), "UTC")
with store._writing("marked") as conn:  # every day needs summarising again, as after an import
    conn.execute("INSERT OR IGNORE INTO rollup_dirty (day) SELECT DISTINCT day FROM daily_rollup")
print("refreshing", flush=True)
store.refresh_rollups(progress=lambda done, total: print("progress", done, total, flush=True))
print("finished", flush=True)
"""

CONTENT_CHILD = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from desktop_app.core.models import ContentRecord
from desktop_app.core.store.content_log import ContentLog
log = ContentLog(Path(sys.argv[1]))
print("writing", flush=True)
for n in range(100_000):
    document = {"n": n, "prompt": "x" * 400_000, "answer": "y" * 400_000}
    log.write(ContentRecord("alice", datetime.now(UTC), "chat", document))
"""


def _run_and_kill(code: str, argument: Path, ready: str, rng: random.Random) -> str:
    """Start `code` in a child, wait for its `ready` line, let it work a random moment, kill -9 it."""
    with subprocess.Popen([sys.executable, "-c", code, str(argument)], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as child:
        assert child.stdout is not None
        line = child.stdout.readline()
        if line.strip() != ready:
            child.kill()
            raise AssertionError(line + child.stdout.read())
        if ready == "refreshing":  # the first transaction is in: kill within the next ones
            child.stdout.readline()
        try:
            child.wait(rng.uniform(0.0, 0.3) if ready == "refreshing" else rng.uniform(0.05, 0.6))
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
        child.wait(10)
        return child.stdout.read()


def _rollup(database: Path) -> list[tuple]:
    store = UsageStore.open(database, "UTC")
    try:
        store.refresh_rollups()
        with contextlib.closing(store.read_connection()) as conn:
            rows = conn.execute("SELECT * FROM daily_rollup ORDER BY 1, 2, 3, 4").fetchall()
            counts = conn.execute("SELECT * FROM daily_rollup_counts ORDER BY 1, 2, 3").fetchall()
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return rows + counts
    finally:
        store.close()


def test_kill_9_during_a_rollup_refresh(tmp_path):
    database = tmp_path / "usage.sqlite3"
    store = UsageStore.open(database, "UTC")
    spec = SyntheticSpec(usage_events=20_000, developers=8, days=120, seed=7)
    for batches in chunked(islice(generate_batches(spec), 25_000), 2_000):
        store.write_many(batches)
    store.close()
    reference = tmp_path / "reference.sqlite3"
    shutil.copy(database, reference)
    expected = _rollup(reference)
    assert expected
    rng = random.Random(19)
    # each round finds the days the killed one left dirty
    outputs = [_run_and_kill(REFRESH_CHILD, database, "refreshing", rng) for _ in range(ROUNDS)]
    assert any("finished" not in out for out in outputs), "every refresh finished before the kill: too fast to test"
    assert _rollup(database) == expected


def test_kill_9_during_content_writes(tmp_path):
    folder = tmp_path / "usage"
    rng = random.Random(19)
    for _ in range(ROUNDS):
        _run_and_kill(CONTENT_CHILD, folder, "writing", rng)
    files = list(folder.glob("*/*/*.json"))
    assert files, "nothing was written before the kill"
    for path in files:  # every visible file is whole: written aside, then renamed
        document = json.loads(path.read_text(encoding="utf-8"))
        assert len(document["prompt"]) == 400_000
    assert ContentLog(folder).purge(datetime.now(UTC) + timedelta(seconds=1)) == len(files)  # and all are purgeable
