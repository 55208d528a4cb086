"""The store's tests run against both engines: `target` is a SQLite file or a PostgreSQL database."""

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path):
    """The store under test: a SQLite path, or a `PostgresDatabase` on the session's server."""
    if request.param == "sqlite":
        yield tmp_path / "data" / "usage.sqlite3"
        return
    from desktop_app.core.store.postgres import PostgresDatabase

    yield PostgresDatabase(request.getfixturevalue("postgres_url"))
