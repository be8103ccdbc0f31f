"""Proving that no row stays locked while a provider answers: from the test's own connection, lock
a row the code under test used and write it, while the stubbed provider holds its answer."""

from django.db import connection, transaction


def lock_and_write(model, pk, **fields) -> None:
    """Lock `model`'s row `pk` and update `fields` on it, giving up after 2 s instead of waiting
    (PostgreSQL's lock_timeout: a lock held elsewhere fails the test at once)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
        model.objects.select_for_update().get(pk=pk)
        model.objects.filter(pk=pk).update(**fields)
