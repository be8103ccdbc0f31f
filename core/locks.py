"""Named locks for the length of a transaction, for serialising work on something whose row is
not ours to lock (another app's table) or that has no row yet."""

import hashlib

from django.db import connection


def xact_lock(name: str) -> None:
    """Wait until no other transaction holds the lock `name`, then hold it until this transaction
    ends (PostgreSQL's advisory transaction lock; SQLite serialises writers on its own). Must be
    called inside `transaction.atomic()`."""
    if not connection.in_atomic_block:
        raise RuntimeError("xact_lock is held until the transaction ends: call it inside transaction.atomic()")
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
