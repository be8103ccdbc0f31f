import threading

import pytest
from django.db import OperationalError, connection, transaction

from core.locks import xact_lock


def test_a_named_lock_is_only_taken_inside_a_transaction(transactional_db):  # no test transaction around it
    with pytest.raises(RuntimeError):
        xact_lock("anything")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_named_lock_makes_the_next_taker_wait_until_the_holder_commits():
    held, release, outcome = threading.Event(), threading.Event(), {}

    def holder():
        try:
            with transaction.atomic():
                xact_lock("checkout.plan:conv_1")
                held.set()
                release.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(20)
        with pytest.raises(OperationalError), transaction.atomic():  # the same name waits …
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '200ms'")
            xact_lock("checkout.plan:conv_1")
        with transaction.atomic():  # … another name does not
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            xact_lock("checkout.plan:conv_2")
    finally:
        release.set()
        thread.join(20)
    with transaction.atomic():  # and once the holder committed, the name is free
        xact_lock("checkout.plan:conv_1")
        outcome["taken"] = True
    assert outcome == {"taken": True}
