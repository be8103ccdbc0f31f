"""The flush after every transactional test, on PostgreSQL, as DELETEs instead of one TRUNCATE.

A `transactional_db` / `django_db(transaction=True)` test ends with `manage.py flush`, which on
PostgreSQL is one `TRUNCATE` of every table (~70): a new file per table, fsynced, about 3 s on a
busy 2-core machine, against about 0.1 s for a `DELETE FROM` each on the few rows a test writes.
The outcome is the same (every table empty, sequences not reset, post_migrate run again); the
DELETEs run in the flush's one transaction, where Django's foreign keys (DEFERRABLE INITIALLY
DEFERRED) are checked at the commit, when every table is empty. A flush that resets sequences or
cascades beyond its tables keeps Django's TRUNCATE.
"""

from __future__ import annotations

_installed = False


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
        return [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in sorted(tables)
        ]

    DatabaseOperations.sql_flush = sql_flush
    _installed = True
