"""Concurrent completes of one session on PostgreSQL: exactly one charge and one order, by the
session's state (`in_progress` while the provider is asked), not by a lock held across the charge."""

import threading
import uuid

import pytest
from django.db import connection
from django.test import Client

from agentic.tests.acp import AcpClient, create_body, payment
from checkout.models import CheckoutSession, Order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(platform, session_id: str, keys: list[str]) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(len(keys))
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def run(key):
        try:
            agent = AcpClient(Client(), platform.raw_key)
            barrier.wait(timeout=10)
            response = agent.complete(session_id, payment(), idempotency_key=key)
            with lock:
                results.append((response.status_code, response.data))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_completes_with_different_keys_make_exactly_one_order(acp, platform):
    assert connection.vendor == "postgresql"
    session_id = acp.create(create_body(("PS11750057", 3))).data["id"]
    results = _race(platform, session_id, [str(uuid.uuid4()) for _ in range(6)])
    statuses = sorted(status for status, _ in results)
    assert statuses.count(200) == 1, results
    assert all(status in (200, 405, 409) for status in statuses), results
    # 409: the session was being completed (a passing state, Retry-After); 405: it was completed.
    assert all(data["code"] == "checkout_session_in_progress" for status, data in results if status == 409)
    assert Order.objects.count() == 1
    assert CheckoutSession.objects.count() == 1
    from catalog.models import Product

    assert Product.objects.get(ps_number="PS11750057").stock_quantity == 9


def test_concurrent_completes_with_one_key_run_once(acp, platform):
    session_id = acp.create(create_body()).data["id"]
    results = _race(platform, session_id, ["same-key"] * 5)
    statuses = [status for status, _ in results]
    assert len(statuses) == 5
    assert set(statuses) <= {200, 409}, results
    assert statuses.count(200) >= 1
    orders = {data["order"]["id"] for status, data in results if status == 200}
    assert len(orders) == 1 and Order.objects.count() == 1
    conflicts = [data for status, data in results if status == 409]
    assert all(c["code"] == "idempotency_in_flight" for c in conflicts)
