"""Fulfilment: every move through one service, each audited, illegal ones refused with their code,
nothing half-written; concurrent moves on PostgreSQL make one move."""

import importlib
import threading
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection

from analytics.models import Event
from checkout.enums import FULFILMENT_NEXT, FulfilmentStatus, OrderStatus
from checkout.models import CheckoutSession, FulfilmentEvent, Order
from checkout.services.fulfilment import fulfilment_refusal, order_fulfilment_transition
from checkout.tests.factories import OrderFactory
from core.exceptions import ApplicationError

pytestmark = pytest.mark.django_db

S = FulfilmentStatus
TRACKING = {"carrier": "UPS", "tracking_number": "1Z999AA10123456784", "tracking_url": "https://ups.example/1Z999"}


def _move(order, to_status, **extra):
    return order_fulfilment_transition(order=order, to_status=to_status, **extra)


def _at(status: str) -> Order:
    """An order whose parcel stands at `status` (reached through the service where it can be)."""
    order = OrderFactory()
    path = {
        S.UNFULFILLED: [],
        S.PACKED: [S.PACKED],
        S.SHIPPED: [S.PACKED, S.SHIPPED],
        S.DELIVERED: [S.PACKED, S.SHIPPED, S.DELIVERED],
        S.CANCELLED: [S.CANCELLED],
    }
    if status == S.NOT_REQUIRED:
        Order.objects.filter(pk=order.pk).update(fulfilment_status=S.NOT_REQUIRED)
        return Order.objects.get(pk=order.pk)
    for step in path[status]:
        order = _move(order, step, **(TRACKING if step == S.SHIPPED else {}))
    return order


def test_the_whole_way_with_an_audit_row_for_each_step(django_user_model, django_capture_on_commit_callbacks):
    clerk = django_user_model.objects.create_user("clerk", password="pw-12345678", first_name="Cleo", is_staff=True)
    order = OrderFactory()
    assert order.fulfilment_status == S.UNFULFILLED

    with django_capture_on_commit_callbacks(execute=True):
        order = _move(order, S.PACKED, actor=clerk, note="box 3")
    assert order.fulfilment_status == S.PACKED and order.packed_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        order = _move(order, S.SHIPPED, actor=clerk, **TRACKING)
    assert (order.carrier, order.tracking_number, order.tracking_url) == (
        "UPS",
        "1Z999AA10123456784",
        "https://ups.example/1Z999",
    )
    assert order.shipped_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        order = _move(order, S.DELIVERED)
    assert order.delivered_at is not None

    stored = Order.objects.get(pk=order.pk)
    assert stored.fulfilment_status == S.DELIVERED and stored.tracking_number == "1Z999AA10123456784"
    steps = list(FulfilmentEvent.objects.filter(order=order).values_list("from_status", "to_status", "actor_label"))
    assert steps == [
        (S.UNFULFILLED, S.PACKED, "Cleo"),
        (S.PACKED, S.SHIPPED, "Cleo"),
        (S.SHIPPED, S.DELIVERED, "system"),
    ]
    shipped = FulfilmentEvent.objects.get(order=order, to_status=S.SHIPPED)
    assert (shipped.carrier, shipped.tracking_number, shipped.actor) == ("UPS", "1Z999AA10123456784", clerk)
    assert FulfilmentEvent.objects.get(order=order, to_status=S.PACKED).note == "box 3"
    assert Event.objects.filter(name="fulfilment_changed").count() == 3
    # The payment is another matter: untouched.
    assert stored.status == OrderStatus.PAID and stored.refunded_total == 0


@pytest.mark.parametrize("start", [S.UNFULFILLED, S.PACKED])
def test_cancelled_before_it_ships(start):
    order = _move(_at(start), S.CANCELLED, note="customer changed their mind")
    assert order.fulfilment_status == S.CANCELLED and order.cancelled_at is not None
    assert FulfilmentEvent.objects.filter(order=order, to_status=S.CANCELLED).count() == 1
    assert order.status == OrderStatus.PAID  # cancelling the parcel refunds nothing by itself


ILLEGAL = [
    (start, to)
    for start in (S.UNFULFILLED, S.PACKED, S.SHIPPED, S.DELIVERED, S.CANCELLED)
    for to in (S.UNFULFILLED, S.PACKED, S.SHIPPED, S.DELIVERED, S.CANCELLED)
    if to not in FULFILMENT_NEXT[start]
]


@pytest.mark.parametrize(("start", "to"), ILLEGAL)
def test_illegal_moves_are_refused_with_a_stable_code_and_nothing_written(start, to):
    order = _at(start)
    before = FulfilmentEvent.objects.count()
    with pytest.raises(ApplicationError) as refused:
        _move(order, to, **TRACKING)
    assert refused.value.code == "fulfilment_transition_invalid"
    assert refused.value.status_code == 409
    assert f"is {start}" in refused.value.detail and f"marked {to}" in refused.value.detail
    assert Order.objects.get(pk=order.pk).fulfilment_status == start
    assert FulfilmentEvent.objects.count() == before


def test_asking_twice_is_refused_the_second_time():
    order = _at(S.PACKED)
    _move(order, S.SHIPPED, **TRACKING)
    with pytest.raises(ApplicationError) as again:
        _move(order, S.SHIPPED, carrier="DHL", tracking_number="JD014600006281230704")
    assert again.value.code == "fulfilment_transition_invalid"
    stored = Order.objects.get(pk=order.pk)
    assert (stored.carrier, FulfilmentEvent.objects.filter(to_status=S.SHIPPED).count()) == ("UPS", 1)


@pytest.mark.parametrize(
    ("tracking", "code", "field"),
    [
        ({"carrier": "UPS"}, "tracking_required", "tracking_number"),
        ({"tracking_number": "1Z999"}, "tracking_required", "carrier"),
        ({"carrier": " ", "tracking_number": " "}, "tracking_required", "carrier"),
        ({**TRACKING, "tracking_url": "javascript:alert(1)"}, "tracking_invalid", "tracking_url"),
        ({**TRACKING, "tracking_url": "not a link"}, "tracking_invalid", "tracking_url"),
        ({**TRACKING, "carrier": "U" * 81}, "tracking_invalid", "carrier"),
    ],
)
def test_shipping_needs_a_carrier_and_a_tracking_number_and_a_real_link(tracking, code, field):
    order = _at(S.PACKED)
    with pytest.raises(ApplicationError) as refused:
        _move(order, S.SHIPPED, **tracking)
    assert refused.value.code == code and field in refused.value.fields
    assert Order.objects.get(pk=order.pk).fulfilment_status == S.PACKED
    assert not FulfilmentEvent.objects.filter(to_status=S.SHIPPED).exists()


def test_an_unknown_status_is_refused():
    with pytest.raises(ApplicationError) as refused:
        _move(OrderFactory(), "lost")
    assert refused.value.code == "fulfilment_transition_invalid" and refused.value.status_code == 400


@pytest.mark.parametrize("payment", [OrderStatus.REFUNDED, OrderStatus.CANCELED])
def test_an_order_whose_money_went_back_is_not_packed_or_shipped_but_may_be_cancelled(payment):
    order = OrderFactory(status=payment)
    with pytest.raises(ApplicationError) as refused:
        _move(order, S.PACKED)
    assert refused.value.code == "order_not_paid"
    assert _move(order, S.CANCELLED).fulfilment_status == S.CANCELLED


def test_a_partly_refunded_order_still_ships_the_rest():
    order = OrderFactory(status=OrderStatus.PARTIALLY_REFUNDED, refunded_total=Decimal("10.00"))
    assert _move(order, S.PACKED).fulfilment_status == S.PACKED


def test_a_subscription_has_nothing_to_ship():
    order = _at(S.NOT_REQUIRED)
    for to in (S.PACKED, S.CANCELLED):
        problem = fulfilment_refusal(order=order, to_status=to)
        assert problem is not None and problem.code == "fulfilment_not_required"


def test_migration_gives_existing_orders_sane_defaults():
    migration = importlib.import_module("checkout.migrations.0008_fulfilment")
    customer_model = apps.get_model("conversations", "Customer")
    customer = customer_model.objects.create(name="Ada", email="ada@example.com", phone="+12025550143")
    waiting = OrderFactory(customer=customer, shipping_address={"line_one": "1 Main St", "recipient": "Ada L."})
    refunded = OrderFactory(status=OrderStatus.REFUNDED)
    session = CheckoutSession.objects.create(
        provider="test",
        idempotency_key="plan-1",
        mode="subscription",
        currency="GBP",
        subtotal=Decimal("59"),
        amount_total=Decimal("59"),
        expires_at="2030-01-01T00:00Z",
    )
    plan = OrderFactory(checkout_session=session)
    Order.objects.update(fulfilment_status="unfulfilled", contact_email="", contact_name="", contact_phone="")

    migration.existing_orders_fill(apps, None)

    waiting.refresh_from_db(), refunded.refresh_from_db(), plan.refresh_from_db()
    assert (waiting.fulfilment_status, waiting.contact_email, waiting.contact_phone) == (
        "unfulfilled",
        "ada@example.com",
        "+12025550143",
    )
    assert waiting.shipping_address == {"line_one": "1 Main St", "name": "Ada L."}
    assert refunded.fulfilment_status == "cancelled"
    assert plan.fulfilment_status == "not_required"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_of_clerks_shipping_one_order_at_once_exactly_one_ships_it():
    assert connection.vendor == "postgresql"
    order = _at(S.PACKED)
    clerks = [
        get_user_model().objects.create_user(f"clerk{i}", password="pw-12345678", is_staff=True) for i in range(5)
    ]
    barrier = threading.Barrier(len(clerks))
    shipped, codes, errors = [], [], []

    def ship(clerk, n):
        try:
            barrier.wait(timeout=10)
            shipped.append(_move(order, S.SHIPPED, actor=clerk, carrier="UPS", tracking_number=f"1Z{n:08d}"))
        except ApplicationError as exc:
            codes.append(exc.code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ship, args=(clerk, n)) for n, clerk in enumerate(clerks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(shipped) == 1 and codes == ["fulfilment_transition_invalid"] * 4
    stored = Order.objects.get(pk=order.pk)
    assert stored.tracking_number == shipped[0].tracking_number
    assert FulfilmentEvent.objects.filter(order=order, to_status=S.SHIPPED).count() == 1


def test_an_order_no_conversation_or_platform_tells_is_emailed_once(django_capture_on_commit_callbacks, mailoutbox):
    from checkout.notices import ORDER_NOTICE_EMAIL
    from core.outbox.models import OutboundDelivery

    order = _move(OrderFactory(channel="gpt:chatgpt", contact_email="gus@example.com"), S.PACKED)
    with django_capture_on_commit_callbacks(execute=True):
        order = _move(order, S.SHIPPED, **TRACKING)
    [email] = mailoutbox
    assert email.to == ["gus@example.com"] and email.subject == f"Your order {order.number}: shipped"
    assert "tracking number 1Z999AA10123456784" in email.body and "https://ups.example/1Z999" in email.body
    assert OutboundDelivery.objects.get(kind=ORDER_NOTICE_EMAIL).status == "sent"

    # An ACP order is told by its platform, a packed one not at all, one without an address never.
    acp = _move(OrderFactory(channel="acp:chatgpt", contact_email="ann@example.com"), S.PACKED)
    with django_capture_on_commit_callbacks(execute=True):
        _move(acp, S.SHIPPED, **TRACKING)
        _move(OrderFactory(), S.CANCELLED)
    assert len(mailoutbox) == 1 and OutboundDelivery.objects.filter(kind=ORDER_NOTICE_EMAIL).count() == 1
