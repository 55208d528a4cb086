"""Reading a store of either engine directly in tests (raw SQL, SQLite's dialect)."""

from contextlib import closing

from desktop_app.core.store.engine import as_database
from desktop_app.core.store.rollup import _Scope


def rows(target, sql, params=()):
    """All rows of `sql` on the store `target` (a SQLite path or a `Database`), as tuples."""
    with closing(as_database(target).open_reader()) as conn:
        return [tuple(row) for row in conn.execute(sql, params).fetchall()]


def dict_rows(target, sql, params=()):
    """All rows of `sql` on `target`, as {column: value}."""
    with closing(as_database(target).open_reader()) as conn:
        cursor = conn.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def execute(target, sql, params=()):
    """Run one writing statement on `target` outside the store (a test's tampering)."""
    conn = as_database(target).open_writer()
    try:
        conn.execute(sql, params)
    finally:
        conn.close()


def compute_split(conn, split, days, developers=None):
    """`split`'s rows of `days` ('YYYY-MM-DD') from the raw events: the oracle the rollup is checked against."""
    if not days or (developers is not None and not developers):
        return []
    return conn.execute(*split.query(_Scope.days(days, developers))).fetchall()
