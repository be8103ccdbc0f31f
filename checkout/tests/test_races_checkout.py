"""The offline checkout page's buttons pressed at once on PostgreSQL (real threads): paying in
several tabs and declining in another make at most one order, no 500, and the session ends in
the state its order (or its absence) says."""

import threading

import pytest
from django.db import connection
from django.test import Client

from checkout.models import CheckoutSession, Order
from checkout.testing import TEST_CHECKOUT_FORM
from checkout.tests.test_checkout_flow import checkout_action, create_session  # noqa: F401 (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("outcomes", [["pay", "pay", "pay", "pay"], ["fail", "pay", "pay", "fail"]])
def test_paying_in_several_tabs_at_once_makes_at_most_one_order(api, checkout_action, outcomes):  # noqa: F811
    assert connection.vendor == "postgresql"
    _conv, action = checkout_action
    url = create_session(api, action["id"]).json()["checkout_url"].replace("http://testserver", "")
    barrier = threading.Barrier(len(outcomes))
    statuses, lock = [], threading.Lock()

    def press(outcome):
        try:
            barrier.wait(timeout=30)
            status = Client().post(url, {**TEST_CHECKOUT_FORM, "outcome": outcome}).status_code
        finally:
            connection.close()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=press, args=(o,)) for o in outcomes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(statuses) == len(outcomes) and all(s in (302, 409) for s in statuses), statuses
    session = CheckoutSession.objects.get()
    orders = Order.objects.count()
    assert orders <= 1
    assert (session.status == "complete") == (orders == 1)


def test_any_form_on_the_offline_checkout_page_is_answered_without_a_500(api, checkout_action):  # noqa: F811
    from hypothesis import given
    from hypothesis import strategies as st

    from core.testing.fuzz import bounded

    _conv, action = checkout_action
    url = create_session(api, action["id"]).json()["checkout_url"].replace("http://testserver", "")
    odd = st.one_of(
        st.text(max_size=30),
        st.sampled_from(["", " ", "\x00", "a\x00b", "<script>x()</script>", "=1+1", "x" * 5000, "ZZ", "us"]),
    )
    seen = {}

    @bounded(40)
    @given(
        changes=st.dictionaries(st.sampled_from(sorted(TEST_CHECKOUT_FORM)), odd, min_size=1, max_size=4),
        outcome=st.sampled_from(["pay", "pay", "pay", "fail", "", "refund"]),
    )
    def run(changes, outcome):
        form = {**TEST_CHECKOUT_FORM, **changes, "outcome": outcome}
        form = {k: v for k, v in form.items() if "\x00" not in k}
        response = Client().post(url, form)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code in (302, 400, 409), (changes, outcome, response.status_code)
        assert b"<script>x()</script>" not in response.content

    run()
    assert Order.objects.count() <= 1
    assert 400 in seen
