import json
import time
from decimal import Decimal

import pytest
from django.conf import settings

from analytics.models import Event
from checkout.exceptions import CheckoutError, PaymentError
from checkout.models import Order, Refund, WebhookEvent
from checkout.providers.stripe_provider import stripe_signature_header
from checkout.services.refunds import order_refund
from checkout.services.webhooks import stripe_webhook_receive
from checkout.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db(transaction=True)


def charge_refunded(*, payment_ref, amount, refunded, refunds=(), created=None, event_id=None, metadata=None):
    event = {
        "id": event_id or f"evt_{payment_ref}_{refunded}_{len(refunds)}",
        "object": "event",
        "type": "charge.refunded",
        "created": created or int(time.time()),
        "data": {
            "object": {
                "id": "ch_" + payment_ref,
                "object": "charge",
                "payment_intent": payment_ref,
                "amount": amount,
                "amount_refunded": refunded,
                "currency": "usd",
                "refunded": refunded >= amount,
                "refunds": {"object": "list", "data": list(refunds)},
                "metadata": metadata or {},
            }
        },
    }
    payload = json.dumps(event).encode()
    return stripe_webhook_receive(
        payload=payload, signature=stripe_signature_header(payload=payload, secret=settings.STRIPE_WEBHOOK_SECRET)
    )


def test_full_refund_on_the_test_provider_marks_the_order_refunded():
    order = OrderFactory(total="49.98")
    refunded = order_refund(order=order, reason="Wrong part")
    assert refunded.status == "refunded"
    assert refunded.refunded_total == Decimal("49.98")
    refund = Refund.objects.get()
    assert (refund.amount, refund.currency, refund.status, refund.reason) == (
        Decimal("49.98"),
        "USD",
        "succeeded",
        "Wrong part",
    )
    assert refund.provider_refund_id.startswith("re_test_")
    assert Event.objects.get(name="payment_refunded").properties["order_number"] == order.number


def test_partial_refunds_add_up_and_an_over_refund_is_refused():
    order = OrderFactory(total="49.98")
    assert order_refund(order=order, amount=Decimal("20.00")).status == "partially_refunded"
    with pytest.raises(CheckoutError) as exc:
        order_refund(order=order, amount=Decimal("30.00"))
    assert exc.value.code == "refund_exceeds_balance"
    assert "29.98" in exc.value.detail
    assert Refund.objects.count() == 1
    final = order_refund(order=order)  # the rest
    assert (final.status, final.refunded_total) == ("refunded", Decimal("49.98"))
    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("20.00"), Decimal("29.98")]
    with pytest.raises(CheckoutError) as again:
        order_refund(order=order, amount=Decimal("1.00"))
    assert again.value.code == "order_already_refunded"


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1"), Decimal("0.001"), "abc"])
def test_invalid_amounts_are_refused(amount):
    order = OrderFactory()
    with pytest.raises(CheckoutError) as exc:
        order_refund(order=order, amount=amount)
    assert exc.value.code == "refund_amount_invalid"
    assert not Refund.objects.exists()
    assert Order.objects.get().status == "paid"


def test_an_unpaid_order_cannot_be_refunded():
    order = OrderFactory(status="canceled")
    with pytest.raises(CheckoutError) as exc:
        order_refund(order=order)
    assert exc.value.code == "order_not_paid"
    assert not Refund.objects.exists()


def test_stripe_refund_goes_through_the_sdk_and_its_webhook_changes_nothing(stripe_stub):
    order = OrderFactory(total="49.98", provider="stripe", provider_payment_ref="pi_abc")
    order_refund(order=order, amount=Decimal("10.00"), reason="Damaged box")
    [request] = stripe_stub.requests
    assert request["path"] == "/v1/refunds"
    refund = Refund.objects.get()
    assert request["headers"]["Idempotency-Key"] == refund.idempotency_key
    assert request["form"]["payment_intent"] == ["pi_abc"]
    assert request["form"]["amount"] == ["1000"]
    assert request["form"]["metadata[order_number]"] == [order.number]
    assert refund.provider_refund_id == "re_stub1"
    # Stripe then announces the same refund, twice; nothing new is recorded.
    stub_refund = {"id": "re_stub1", "amount": 1000, "status": "succeeded"}
    for _ in range(2):
        charge_refunded(payment_ref="pi_abc", amount=4998, refunded=1000, refunds=[stub_refund])
    assert Refund.objects.count() == 1
    order.refresh_from_db()
    assert (order.status, order.refunded_total) == ("partially_refunded", Decimal("10.00"))
    assert WebhookEvent.objects.filter(status="processed").count() == 1


def test_stripe_refusal_is_a_502_and_writes_nothing(stripe_stub):
    order = OrderFactory(provider="stripe", provider_payment_ref="pi_abc")
    stripe_stub.fail_with = (400, {"error": {"type": "invalid_request_error", "message": "Charge is disputed"}})
    with pytest.raises(PaymentError) as exc:
        order_refund(order=order)
    assert "Charge is disputed" in exc.value.detail
    assert not Refund.objects.exists()
    assert Order.objects.get().status == "paid"


def test_dashboard_refunds_reconcile_in_any_order():
    order = OrderFactory(total="49.98", provider="stripe", provider_payment_ref="pi_dash")
    first = {"id": "re_1", "amount": 1000, "status": "succeeded"}
    second = {"id": "re_2", "amount": 3998, "status": "succeeded"}
    # The later, fuller event arrives first; the older one after it changes nothing.
    charge_refunded(payment_ref="pi_dash", amount=4998, refunded=4998, refunds=[second, first])
    charge_refunded(payment_ref="pi_dash", amount=4998, refunded=1000, refunds=[first])
    order.refresh_from_db()
    assert (order.status, order.refunded_total) == ("refunded", Decimal("49.98"))
    assert sorted(Refund.objects.values_list("provider_refund_id", flat=True)) == ["re_1", "re_2"]
    assert all(r.from_webhook for r in Refund.objects.all())


def test_a_refund_without_its_list_is_recorded_once_then_named():
    order = OrderFactory(total="49.98", provider="stripe", provider_payment_ref="pi_nolist")
    charge_refunded(payment_ref="pi_nolist", amount=4998, refunded=500)
    charge_refunded(payment_ref="pi_nolist", amount=4998, refunded=500, event_id="evt_again")
    refund = Refund.objects.get()
    assert (refund.amount, refund.provider_refund_id) == (Decimal("5.00"), "")
    charge_refunded(payment_ref="pi_nolist", amount=4998, refunded=500, refunds=[{"id": "re_x", "amount": 500}])
    refund = Refund.objects.get()
    assert refund.provider_refund_id == "re_x"
    order.refresh_from_db()
    assert (order.status, order.refunded_total) == ("partially_refunded", Decimal("5.00"))


def test_a_refund_event_before_its_order_waits():
    event, _ = charge_refunded(
        payment_ref="pi_later", amount=4998, refunded=4998, metadata={"checkout_session_id": "chk_x"}
    )
    event.refresh_from_db()
    assert event.status == "received"
    assert "no order" in event.error
    OrderFactory(total="49.98", provider="stripe", provider_payment_ref="pi_later")
    from checkout.services.webhooks import webhook_event_process

    assert webhook_event_process(webhook_event_id=event.pk) == "processed"
    assert Order.objects.get().status == "refunded"


def test_a_refund_of_a_payment_not_made_here_is_acknowledged_and_left_alone(db):
    event, _ = charge_refunded(payment_ref="pi_elsewhere", amount=1000, refunded=1000)
    event.refresh_from_db()
    assert event.status == "processed"
    assert not Refund.objects.exists()


# --- no row lock across the provider call ---------------------------------------------------


def test_the_order_is_not_locked_while_the_provider_refunds(stripe_stub):
    import threading

    from django.db import connection

    from core.testing.locks import lock_and_write

    order = OrderFactory(total="49.98", provider="stripe", provider_payment_ref="pi_abc")
    stripe_stub.hold = threading.Event()
    outcome = {}

    def refund():
        try:
            outcome["order"] = order_refund(order=order, amount=Decimal("10.00"))
        finally:
            connection.close()

    thread = threading.Thread(target=refund)
    thread.start()
    try:
        assert stripe_stub.arrived.wait(20)
        # Meanwhile, on another connection: the order can be locked and written, and the refund
        # is already stored as requested (held against what is left, not counted as refunded).
        lock_and_write(Order, order.pk, needs_attention=False)
        assert Refund.objects.get().status == "requested"
        with pytest.raises(CheckoutError) as exc:
            order_refund(order=order, amount=Decimal("45.00"))  # 49.98 - 10.00 in flight
        assert exc.value.code == "refund_exceeds_balance"
    finally:
        stripe_stub.hold.set()
        thread.join(30)
    assert outcome["order"].refunded_total == Decimal("10.00")
    assert Refund.objects.get().status == "succeeded"


def test_a_crash_between_the_provider_and_the_record_is_completed_with_the_same_key(stripe_stub):
    from checkout import gateway
    from checkout.providers.base import RefundRequest
    from checkout.services.refunds import _refund_request

    order = OrderFactory(total="49.98", provider="stripe", provider_payment_ref="pi_abc")
    key = "action:act_1"
    # The first try wrote its refund, the provider made it, then the process died.
    requested = _refund_request(order=order, amount=Decimal("10.00"), reason="x", idempotency_key=key)
    made = gateway.refund_create(
        provider="stripe",
        request=RefundRequest(
            reference=requested.id,
            idempotency_key=key,
            payment_ref="pi_abc",
            amount=Decimal("10.00"),
            currency="USD",
        ),
    )
    assert Order.objects.get().refunded_total == Decimal("0")

    # Asked again with the same key: completed with the provider's same refund, not a second one.
    order = order_refund(order=order, amount=Decimal("10.00"), idempotency_key=key)
    order_refund(order=order, amount=Decimal("10.00"), idempotency_key=key)  # and again: nothing

    assert (order.refunded_total, order.status) == (Decimal("10.00"), "partially_refunded")
    refund = Refund.objects.get()
    assert (refund.status, refund.provider_refund_id) == ("succeeded", made.provider_ref)
    assert stripe_stub.refunded == {"pi_abc": 1000}


def test_the_providers_event_completes_a_refund_whose_process_died(stripe_stub):
    from checkout.services.refunds import _refund_request

    order = OrderFactory(total="49.98", provider="stripe", provider_payment_ref="pi_abc")
    requested = _refund_request(order=order, amount=Decimal("10.00"), reason="x", idempotency_key="k")
    stub_refund = {"id": "re_9", "amount": 1000, "status": "succeeded", "metadata": {"refund_id": requested.id}}

    charge_refunded(payment_ref="pi_abc", amount=4998, refunded=1000, refunds=[stub_refund])

    refund = Refund.objects.get()  # the requested one, completed: not a second row
    assert (refund.pk, refund.status, refund.provider_refund_id) == (requested.pk, "succeeded", "re_9")
    order.refresh_from_db()
    assert order.refunded_total == Decimal("10.00")
    assert order_refund(order=order, amount=Decimal("10.00"), idempotency_key="k").refunded_total == Decimal("10.00")
    assert stripe_stub.requests == []  # nothing asked of the provider again


def _left_requested(order, *, key, seconds_ago):
    """A refund written `requested` whose process died before recording the provider's answer."""
    from datetime import timedelta

    from django.utils import timezone

    from checkout.services.refunds import _refund_request

    requested = _refund_request(order=order, amount=Decimal("10.00"), reason="x", idempotency_key=key)
    Refund.objects.filter(pk=requested.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds_ago))
    return requested


def test_the_sweep_completes_a_stuck_refund_once_with_its_own_key(stripe_stub, settings):
    from checkout import gateway
    from checkout.providers.base import RefundRequest
    from checkout.services.refunds import refunds_stuck_complete

    settings.PARLEY_REFUND_STUCK_SECONDS = 300
    order = OrderFactory(total="49.98", provider="stripe", provider_payment_ref="pi_abc")
    made_first = _left_requested(order, key="action:act_1", seconds_ago=301)
    # This one's provider call went through before the crash; the other's never left.
    made = gateway.refund_create(
        provider="stripe",
        request=RefundRequest(
            reference=made_first.id,
            idempotency_key="action:act_1",
            payment_ref="pi_abc",
            amount=Decimal("10.00"),
            currency="USD",
        ),
    )
    never_sent = _left_requested(order, key="action:act_2", seconds_ago=400)

    assert refunds_stuck_complete() == {"completed": 2, "refused": 0}
    assert refunds_stuck_complete() == {"completed": 0, "refused": 0}  # a second beat: nothing left

    assert stripe_stub.refunded == {"pi_abc": 2000}  # two refunds of 10.00, not three
    made_first.refresh_from_db()
    never_sent.refresh_from_db()
    assert (made_first.status, made_first.provider_refund_id) == ("succeeded", made.provider_ref)
    assert never_sent.status == "succeeded" and never_sent.provider_refund_id not in ("", made.provider_ref)
    order.refresh_from_db()
    assert (order.refunded_total, order.status) == (Decimal("20.00"), "partially_refunded")


def test_the_sweep_leaves_a_refund_still_in_flight_to_its_process(stripe_stub, settings):
    from checkout.services.refunds import refunds_stuck_complete

    settings.PARLEY_REFUND_STUCK_SECONDS = 300
    order = OrderFactory(total="49.98", provider="stripe", provider_payment_ref="pi_abc")
    requested = _left_requested(order, key="k", seconds_ago=10)

    assert refunds_stuck_complete() == {"completed": 0, "refused": 0}
    requested.refresh_from_db()
    assert requested.status == "requested"
    assert stripe_stub.requests == []


def test_a_stuck_refund_the_provider_refuses_is_dropped_as_when_asked(stripe_stub, settings):
    from checkout.services.refunds import refunds_stuck_complete

    settings.PARLEY_REFUND_STUCK_SECONDS = 300
    order = OrderFactory(total="49.98", provider="stripe", provider_payment_ref="pi_abc")
    _left_requested(order, key="k", seconds_ago=301)
    stripe_stub.fail_with = (400, {"error": {"type": "invalid_request_error", "message": "Charge is disputed"}})

    assert refunds_stuck_complete() == {"completed": 0, "refused": 1}
    assert not Refund.objects.exists()
    order.refresh_from_db()
    assert order.refunded_total == Decimal("0")
