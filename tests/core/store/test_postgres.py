"""PostgreSQL specifics: choosing it, its messages, and several instances opening one database at once."""

import re
import sys
import threading
from contextlib import closing

import pytest

from desktop_app.core.errors import StoreError
from desktop_app.core.paths import resolve_paths
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.engine import SqliteDatabase, StoreUnavailableError, database_of
from desktop_app.core.store.postgres import PostgresDatabase, translate
from desktop_app.core.store.schema import SCHEMA_VERSION
from tests.e2e.served import free_port
from tests.helpers.stores import rows


def test_the_url_chooses_the_engine(tmp_path):
    paths = resolve_paths(tmp_path, environ={})
    assert isinstance(database_of(paths), SqliteDatabase)
    assert database_of(paths).label == str(tmp_path / "usage.sqlite3")
    chosen = resolve_paths(tmp_path, environ={"COPILOT_INSIGHT_DATABASE": "postgresql://u:hunter2@db:5433/insight"})
    database = database_of(chosen)
    assert isinstance(database, PostgresDatabase)
    assert database.label == "postgresql://u@db:5433/insight"  # never the password
    given = resolve_paths(tmp_path, environ={"COPILOT_INSIGHT_DATABASE": "postgresql://x@a/b"},
                          database="postgresql://y@c/d")
    assert database_of(given).label == "postgresql://y@c/d"


def test_a_url_that_is_not_postgresql_is_explained(tmp_path):
    paths = resolve_paths(tmp_path, environ={}, database="mysql://db/insight")
    with pytest.raises(StoreError, match="not a PostgreSQL URL"):
        database_of(paths)


def test_an_unreachable_server_is_said_in_words():
    database = PostgresDatabase(f"postgresql://postgres:secret-pw@127.0.0.1:{free_port()}/nothing?connect_timeout=2")
    with pytest.raises(StoreUnavailableError, match="cannot be reached") as caught:
        UsageStore.open(database, "UTC")
    assert "secret-pw" not in caught.value.user_message
    with pytest.raises(StoreUnavailableError):
        UsageStore.reader(database)


def test_statements_are_translated_once_for_postgresql():
    assert translate("SELECT a FROM t WHERE b = ? AND c LIKE '%x'") == (
        "SELECT a FROM t WHERE b = %s AND c LIKE '%%x'",)
    assert translate("BEGIN IMMEDIATE")[0] == "BEGIN"
    assert "pg_advisory_xact_lock" in translate("BEGIN IMMEDIATE")[1]
    assert translate("CREATE TABLE t (a REAL, b INTEGER, c TEXT)") == (
        "CREATE TABLE t (a DOUBLE PRECISION, b BIGINT, c TEXT)",)


def test_instances_starting_together_migrate_once(postgres_url):
    database = PostgresDatabase(postgres_url)
    errors, barrier = [], threading.Barrier(4)

    def start():
        try:
            barrier.wait(timeout=30)
            UsageStore.open(database, "UTC").close()
        except Exception as exc:
            errors.append(exc)

    starters = [threading.Thread(target=start) for _ in range(4)]
    for thread in starters:
        thread.start()
    for thread in starters:
        thread.join(timeout=120)
    assert errors == []
    assert rows(database, "SELECT version FROM schema_version ORDER BY version") == [
        (n,) for n in range(1, SCHEMA_VERSION + 1)]


def test_sums_read_back_as_numbers_not_decimals(postgres_url):
    database = PostgresDatabase(postgres_url)
    UsageStore.open(database, "UTC").close()
    with closing(database.open_reader()) as conn:
        total, fraction = conn.execute("SELECT SUM(x), SUM(y) FROM (SELECT 2 AS x, 0.5 AS y) AS t").fetchone()
    assert (total, fraction) == (2, 0.5)
    assert (type(total), type(fraction)) == (int, float)




def test_without_the_driver_the_error_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the `postgresql` extra were not installed
    monkeypatch.delitem(sys.modules, "desktop_app.core.store.postgres")
    with pytest.raises(StoreError, match=re.escape("pip install 'copilot-insight[postgresql]'")):
        database_of(resolve_paths(tmp_path, environ={}, database="postgresql://insight@db/insight"))
