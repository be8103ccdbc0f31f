"""Loading many new rows into PostgreSQL tables: in binary COPY (`rows_copy`), and for a load that
makes up most of its tables, without their secondary indexes and constraints while the rows go
in, then those made again from the definitions the catalogue had (`indexes_deferred`).

COPY's binary format spares both sides the text: psycopg writes numbers and timestamps as they
are held instead of formatting them (a timestamp's text was most of the generator's COPY time),
and the server does not parse them back.

A row COPYed into an indexed table updates each of its indexes (a part: thirteen besides the
primary key), and each deferrable foreign key queues a check that commit runs row by row (an
index lookup and a key-share lock on the row it points at). At 1,000,000 parts that was most of
the generator's time. `indexes_deferred(models)` drops the tables' secondary indexes, unique
constraints and foreign keys, lets the caller write, then builds each index once by sort (with a
larger `maintenance_work_mem`) and validates each constraint once (a foreign key by one join),
and ANALYZEs the tables. All of it happens in the caller's transaction: an error anywhere (a bad
row, a duplicate key found when its constraint is made again) rolls back the rows and the DDL
together, and the schema is what it was.

Kept as they are: primary keys (other tables' foreign keys point at them, and the load appends
to them in order), CHECK constraints (a per-row expression, no index), and any unique index a
foreign key refers to. The tables stay locked (ACCESS EXCLUSIVE) until the transaction ends, so
nobody reads or writes them meanwhile: this is for loads that make up most of their tables.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection
from django.db.models import Model

# Sorting 5 million compatibility pairs for their unique index in 64 MB (the server's default)
# spills to disk several times; 512 MB (this transaction only) sorts them in memory.
MAINTENANCE_WORK_MEM = "512MB"

# Read from the catalogue, so what is made again is what the migrations made. Dropped foreign keys
# first, then unique constraints, then plain indexes; made again in the reverse order, so foreign
# keys are validated last.
_CONSTRAINTS_SQL = """
SELECT c.conrelid::regclass::text, quote_ident(c.conname), c.contype, pg_get_constraintdef(c.oid)
FROM pg_constraint c
WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('u', 'f')
  AND NOT (c.contype = 'u' AND EXISTS (
      SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid))
ORDER BY c.contype, c.conrelid, c.conname
"""
_INDEXES_SQL = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY i.indrelid, i.indexrelid
"""


@dataclass(frozen=True)
class _Dropped:
    drop: str
    create: str


def _secondary_objects(tables: list[str]) -> list[_Dropped]:
    """What `indexes_deferred` drops, in the order to drop it (the reverse makes it again)."""
    with connection.cursor() as cursor:
        cursor.execute(_CONSTRAINTS_SQL, [tables])
        constraints = cursor.fetchall()
        cursor.execute(_INDEXES_SQL, [tables])
        indexes = cursor.fetchall()
    objects = [
        _Dropped(f"ALTER TABLE {table} DROP CONSTRAINT {name}", f"ALTER TABLE {table} ADD CONSTRAINT {name} {sql}")
        for table, name, _, sql in constraints
    ]
    objects += [_Dropped(f"DROP INDEX {name}", sql) for name, sql in indexes]
    return objects


@contextmanager
def indexes_deferred(models: list[type[Model]]) -> Iterator[None]:
    """Within the caller's transaction on PostgreSQL: `models`' tables locked and without their
    secondary indexes, unique constraints and foreign keys inside the block; all made again,
    validated and the tables analysed when it ends (see the module docstring)."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        raise RuntimeError("indexes_deferred needs PostgreSQL and an open transaction")
    qn = connection.ops.quote_name
    tables = [qn(m._meta.db_table) for m in models]
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
    objects = _secondary_objects(tables)
    with connection.cursor() as cursor:
        for obj in objects:
            cursor.execute(obj.drop)
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        for obj in reversed(objects):
            cursor.execute(obj.create)
        cursor.execute(f"ANALYZE {', '.join(tables)}")


def rows_copy(table: str, columns: list[str], rows: Iterable[tuple]) -> None:
    """COPY `rows` (Python values in `columns`' order: ints, Decimals, aware datetimes, lists for
    JSON, bytes) into `table` (a quoted name, a temporary table's too) in binary, each column
    dumped as the type the catalogue gives it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0", [table]
        )
        types = dict(cursor.fetchall())
        column_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
        # psycopg's own cursor (Django's has no COPY), its errors raised as Django's (IntegrityError, …)
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types([types[c] for c in columns])
            for row in rows:
                copy.write_row(row)
