"""The flush after every transactional test, on PostgreSQL, as DELETEs instead of one TRUNCATE.

A `transactional_db` / `django_db(transaction=True)` test ends with `manage.py flush`, which on
PostgreSQL is one `TRUNCATE` of every table (~70): a new file per table, fsynced, about 3 s on a
busy 2-core machine, against about 0.1 s for a `DELETE FROM` each on the few rows a test writes.
The outcome is the same (every table empty, sequences not reset, post_migrate run again); the
DELETEs run in the flush's one transaction, where Django's foreign keys (DEFERRABLE INITIALLY
DEFERRED) are checked at the commit, when every table is empty. A flush that resets sequences or
cascades beyond its tables keeps Django's TRUNCATE.

The rows post_migrate writes back after every flush (content types, then their permissions) are
kept instead when they are still the ones migrate wrote (same count and highest id as when the
test database was made, see `remember_post_migrate_rows`): post_migrate then finds them all and
writes nothing, where it otherwise re-inserts ~70 content types and ~300 permissions per test.
A test that added or removed any of them gets both tables emptied and written again, as before.
"""

from __future__ import annotations

_installed = False
# Parents first: permissions point at content types, so they are kept only with them.
_POST_MIGRATE_TABLES = ("django_content_type", "auth_permission")
_post_migrate_rows: dict[str, tuple] = {}


def _fingerprint(connection, table: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), max(id) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return tuple(cursor.fetchone())


def remember_post_migrate_rows(connection) -> None:
    """Record the post_migrate tables as migrate left them (call once the test database exists)."""
    if connection.vendor != "postgresql":
        return
    tables = set(connection.introspection.table_names())
    for table in _POST_MIGRATE_TABLES:
        if table in tables:
            _post_migrate_rows[table] = _fingerprint(connection, table)


def _unchanged_post_migrate_tables(connection, tables) -> set[str]:
    kept: set[str] = set()
    for table in _POST_MIGRATE_TABLES:
        if table not in tables or table not in _post_migrate_rows:
            break
        if _fingerprint(connection, table) != _post_migrate_rows[table]:
            break
        kept.add(table)
    return kept


def install_delete_flush() -> None:
    """Patch the PostgreSQL backend's `sql_flush` in this (test) process only."""
    global _installed
    if _installed:
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade or not tables:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        kept = _unchanged_post_migrate_tables(self.connection, tables)
        return [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
            for table in sorted(tables)
            if table not in kept
        ]

    DatabaseOperations.sql_flush = sql_flush
    _installed = True
