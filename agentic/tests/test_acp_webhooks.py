"""Order events to the platform's webhook URL: a local HTTP server plays the platform's receiver."""

import hashlib
import hmac
import json
import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from agentic.services.webhooks import ORDER_EVENT
from agentic.tests.acp import create_body, payment
from agentic.tests.spec import WEBHOOK_URI, schema_errors, webhook_document
from checkout.models import Order
from checkout.services.refunds import order_refund
from checkout.tests.factories import OrderFactory
from core.outbox.models import OutboundDelivery
from core.outbox.services import deliveries_due, delivery_send
from core.testing.http_stub import LocalServer, QuietHandler

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "whsec_platform"


class Receiver(LocalServer):
    """Verifies `Merchant-Signature` as the webhook spec tells the platform to, and records events."""

    def __init__(self):
        self.events: list[dict] = []
        self.statuses: list[int] = []
        self.fail_next = 0
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = 200
                header = self.headers.get("Merchant-Signature", "")
                match = re.fullmatch(r"t=(\d+),v1=([a-fA-F0-9]{64})", header)
                if receiver.fail_next:
                    receiver.fail_next -= 1
                    status = 503
                elif not match or abs(time.time() - int(match[1])) > 300:
                    status = 401
                else:
                    expected = hmac.new(SECRET.encode(), match[1].encode() + b"." + body, hashlib.sha256).hexdigest()
                    status = 200 if hmac.compare_digest(expected, match[2]) else 401
                if status == 200:
                    receiver.events.append(
                        {"body": json.loads(body), "headers": dict(self.headers), "raw": body.decode()}
                    )
                receiver.statuses.append(status)
                self.reply_json(status, {"received": status == 200})

        super().__init__(Handler)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/agentic_checkout/webhooks/order_events"


@pytest.fixture
def receiver(platform):
    with Receiver() as server:
        platform.webhook_url = server.url
        platform.webhook_secret = SECRET
        platform.save()
        yield server


def order_events():
    return OutboundDelivery.objects.filter(kind=ORDER_EVENT)


def last_status_code(delivery) -> int | None:
    return delivery.attempt_rows.order_by("-started_at", "-pk").first().status_code


def _valid_event(event: dict) -> list[str]:
    return schema_errors({"$ref": "#/components/schemas/WebhookEvent"}, event, base=WEBHOOK_URI)


def test_order_create_is_sent_signed_and_valid_per_the_webhook_spec(acp, receiver):
    webhook_document()  # the spec is there (skips otherwise)
    session_id = acp.create(create_body(("PS11750057", 2))).data["id"]
    acp.complete(session_id, payment())
    order = Order.objects.get()
    [event] = receiver.events
    body = event["body"]
    assert body["type"] == "order_create"
    assert _valid_event(body) == []
    data = body["data"]
    assert (data["id"], data["checkout_session_id"], data["status"]) == (order.number, session_id, "confirmed")
    assert data["line_items"][0]["quantity"] == {"ordered": 2, "current": 2, "fulfilled": 0}
    assert {t["type"]: t["amount"] for t in data["totals"]}["total"] == 4998 + 799
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["headers"]["Request-Id"]
    delivery = order_events().get()
    assert (delivery.status, delivery.attempts, last_status_code(delivery)) == ("sent", 1, 200)
    assert delivery.sent_at is not None
    assert delivery.attempt_rows.get().request == body  # operators see what was sent


def test_refunds_are_order_updates_with_adjustments(acp, receiver):
    session_id = acp.create(create_body(("PS11750057", 2))).data["id"]
    acp.complete(session_id, payment())
    order = Order.objects.get()
    order_refund(order=order, amount=Decimal("10.00"), reason="Damaged box")
    update = receiver.events[-1]["body"]
    assert update["type"] == "order_update"
    assert _valid_event(update) == []
    [adjustment] = update["data"]["adjustments"]
    assert (adjustment["type"], adjustment["amount"], adjustment["status"]) == ("refund", 1000, "completed")
    assert adjustment["description"] == "Damaged box"
    assert {t["type"]: t["amount"] for t in update["data"]["totals"]}["amount_refunded"] == 1000
    order_refund(order=order)
    final = receiver.events[-1]["body"]["data"]
    assert final["status"] == "canceled" and len(final["adjustments"]) == 2
    assert order_events().filter(payload__event_type="order_update", status="sent").count() == 2


def test_orders_not_sold_by_a_platform_send_nothing(receiver):
    order_refund(order=OrderFactory())
    assert receiver.events == [] and not order_events().exists()


def test_a_failing_receiver_is_retried_then_succeeds(acp, receiver):
    receiver.fail_next = 2
    session_id = acp.create(create_body()).data["id"]
    acp.complete(session_id, payment())
    delivery = order_events().get()
    assert receiver.statuses == [503, 503, 200]
    assert (delivery.status, delivery.attempts) == ("sent", 3)


def test_after_the_last_attempt_the_delivery_fails_and_an_operator_resends_it(acp, receiver, settings, client):
    settings.ACP_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.fail_next = 10
    session_id = acp.create(create_body()).data["id"]
    acp.complete(session_id, payment())
    delivery = order_events().get()
    assert (delivery.status, delivery.attempts, last_status_code(delivery)) == ("failed", 3, 503)
    assert "HTTP 503" in delivery.last_error
    assert receiver.events == []

    receiver.fail_next = 0
    admin = User.objects.create_superuser("ops", "ops@example.com", "pw")
    client.force_login(admin)
    page = client.get(f"/admin/core/outbounddelivery/{delivery.pk}/change/")
    assert page.status_code == 200 and "order_create" in page.content.decode()
    response = client.post(
        "/admin/core/outbounddelivery/", {"action": "resend", "_selected_action": [delivery.pk]}, follow=True
    )
    assert "1 deliveries queued" in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert receiver.events[0]["body"]["type"] == "order_create"

    # A sent event may be sent again: it carries the order as it is now.
    client.post("/admin/core/outbounddelivery/", {"action": "resend", "_selected_action": [delivery.pk]})
    assert [event["body"]["type"] for event in receiver.events] == ["order_create", "order_create"]


def test_an_unreachable_receiver_is_recorded_and_picked_up_again_when_due(acp, platform):
    platform.webhook_url = "http://127.0.0.1:9/unreachable"
    platform.save()
    session_id = acp.create(create_body()).data["id"]
    acp.complete(session_id, payment())  # eager Celery: every retry ran at once, and all failed
    delivery = order_events().get()
    assert (delivery.status, delivery.attempts) == ("failed", 8)
    assert "Connect" in delivery.last_error and last_status_code(delivery) is None

    OutboundDelivery.objects.filter(pk=delivery.pk).update(
        status="pending", attempts=1, next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert deliveries_due() == [delivery.pk]
    assert delivery_send(delivery_id=delivery.pk).status == "retry"
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at > timezone.now()
    assert deliveries_due() == []
    from core.tasks import outbox_reconcile_task

    OutboundDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert outbox_reconcile_task.apply().get()["due"] == 1


def test_fulfilment_changes_are_order_updates_with_the_shipment_per_the_spec(acp, receiver):
    from checkout.services.fulfilment import order_fulfilment_transition

    session_id = acp.create(create_body(("PS11750057", 2))).data["id"]
    acp.complete(session_id, payment())
    order = Order.objects.get()
    # The buyer's fulfilment details reached the order.
    assert (order.contact_name, order.contact_email) == ("Ann Example", "ann@example.com")
    assert order.shipping_address["name"] == "Ann Example" and order.shipping_address["country"] == "US"

    order = order_fulfilment_transition(order=order, to_status="packed")
    packed = receiver.events[-1]["body"]
    assert packed["type"] == "order_update" and _valid_event(packed) == []
    assert packed["data"]["status"] == "processing"
    [fulfillment] = packed["data"]["fulfillments"]
    assert (fulfillment["type"], fulfillment["status"]) == ("shipping", "processing")
    assert "tracking_number" not in fulfillment

    order = order_fulfilment_transition(
        order=order,
        to_status="shipped",
        carrier="USPS",
        tracking_number="9400111899223456789012",
        tracking_url="https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223456789012",
    )
    shipped = receiver.events[-1]["body"]
    assert _valid_event(shipped) == []
    data = shipped["data"]
    assert data["status"] == "shipped"
    [line] = data["line_items"]
    assert line["quantity"] == {"ordered": 2, "current": 2, "fulfilled": 2} and line["status"] == "fulfilled"
    [fulfillment] = data["fulfillments"]
    assert fulfillment["status"] == "shipped"
    assert (fulfillment["carrier"], fulfillment["tracking_number"]) == ("USPS", "9400111899223456789012")
    assert fulfillment["tracking_url"].startswith("https://tools.usps.com/")
    assert fulfillment["line_items"] == [{"id": line["id"], "quantity": 2}]
    assert fulfillment["destination"]["postal_code"] == order.shipping_address["postal_code"]
    assert [e["type"] for e in fulfillment["events"]] == ["processing", "shipped"]

    order_fulfilment_transition(order=order, to_status="delivered")
    delivered = receiver.events[-1]["body"]
    assert _valid_event(delivered) == []
    assert delivered["data"]["status"] == "completed"
    assert delivered["data"]["fulfillments"][0]["status"] == "delivered"
    # order_create, then one order_update per step: each once.
    assert [e["body"]["type"] for e in receiver.events] == ["order_create"] + ["order_update"] * 3
    assert order_events().filter(payload__event_type="order_update", status="sent").count() == 3


def test_a_cancelled_parcel_is_an_order_update_with_the_lines_removed(acp, receiver):
    from checkout.services.fulfilment import order_fulfilment_transition

    session_id = acp.create(create_body(("PS11750057", 1))).data["id"]
    acp.complete(session_id, payment())
    order_fulfilment_transition(order=Order.objects.get(), to_status="cancelled")
    update = receiver.events[-1]["body"]
    assert _valid_event(update) == []
    assert update["data"]["status"] == "canceled"
    [line] = update["data"]["line_items"]
    assert line["quantity"]["current"] == 0 and line["status"] == "removed"
    assert update["data"]["fulfillments"][0]["status"] == "canceled"
