"""On both engines, the daily summary's splits hold exactly the rows their queries give from the raw events."""

from contextlib import closing

import pytest

from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.rollup import SPLITS, read_split
from tests.core.reports.test_ide_totals import DAY, alice_batch, bob_batch
from tests.helpers.stores import compute_split


@pytest.mark.parametrize("split", SPLITS, ids=lambda s: s.table.name)
def test_a_summarised_split_equals_its_raw_rows(target, split):
    with UsageStore.open(target, "UTC") as store:
        store.write_many([alice_batch(), bob_batch()])
        store.refresh_rollups()
        with closing(store.read_connection()) as conn:
            summarised = read_split(conn, split, DAY, DAY)
            raw = compute_split(conn, split, [DAY.isoformat()])
            dirty = conn.execute("SELECT COUNT(*) FROM rollup_dirty").fetchone()[0]
            only_bob = read_split(conn, split, DAY, DAY, ["bob"])
            assert read_split(conn, split, DAY, DAY, []) == compute_split(conn, split, [DAY.isoformat()], []) == []
    assert dirty == 0 and raw
    assert [tuple(row) for row in summarised] == [tuple(row) for row in raw]
    assert [tuple(row) for row in only_bob] == [tuple(row) for row in raw if row[1] == "bob"]
