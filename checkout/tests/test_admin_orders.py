"""The orders admin: payment read-only, refunds only through the service with an amount, no delete,
fulfilment through the service (buttons, actions), a packing list and a CSV of orders to ship;
the staff API's fulfilment endpoint; `manage.py export_orders_to_ship`."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from checkout.enums import FulfilmentStatus as S
from checkout.models import FulfilmentEvent, Order, Refund
from checkout.services.fulfilment import order_fulfilment_transition
from checkout.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

ADDRESS = {
    "name": "Dana Fixit",
    "line_one": "12 Elm Street",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62704",
    "country": "US",
}


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-for-tests")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def order():
    return OrderFactory(
        shipping_address=ADDRESS,
        contact_name="Dana Fixit",
        contact_email="dana@example.com",
        contact_phone="+12025550143",
    )


def change_url(order):
    return reverse("admin:checkout_order_change", args=[order.pk])


def step_url(order, status):
    return reverse("admin:checkout_order_fulfilment", args=[order.pk, status])


def test_the_order_page_shows_contact_address_and_next_steps_with_payment_read_only(staff, order):
    page = staff.get(change_url(order))
    text = page.content.decode()
    assert page.status_code == 200
    for shown in ("dana@example.com", "+12025550143", "12 Elm Street", "Springfield IL 62704"):
        assert shown in text
    for field in ("status", "total", "refunded_total", "fulfilment_status", "tracking_number", "shipping_address"):
        assert f'name="{field}"' not in text
    assert step_url(order, "packed") in text and step_url(order, "cancelled") in text
    assert step_url(order, "delivered") not in text  # not a step from here
    assert reverse("admin:checkout_order_refund", args=[order.pk]) in text

    # Posting a payment status anyway changes nothing.
    staff.post(change_url(order), {"status": "refunded", "refunded_total": "49.98", "fulfilment_status": "delivered"})
    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.refunded_total, stored.fulfilment_status) == ("paid", 0, "unfulfilled")


def test_orders_cannot_be_deleted(staff, order):
    assert staff.get(reverse("admin:checkout_order_delete", args=[order.pk])).status_code == 403
    assert staff.post(reverse("admin:checkout_order_delete", args=[order.pk]), {"post": "yes"}).status_code == 403
    changelist = staff.get(reverse("admin:checkout_order_changelist")).content.decode()
    assert "delete_selected" not in changelist
    assert Order.objects.filter(pk=order.pk).exists()


def test_shipping_from_the_order_page_asks_carrier_and_tracking_and_audits_who(staff, order):
    order_fulfilment_transition(order=order, to_status=S.PACKED)
    form = staff.get(step_url(order, "shipped"))
    assert form.status_code == 200 and 'name="tracking_number"' in form.content.decode()

    missing = staff.post(step_url(order, "shipped"), {"carrier": "UPS"})
    assert missing.status_code == 400 and "This field is required" in missing.content.decode()
    bad_link = staff.post(
        step_url(order, "shipped"), {"carrier": "UPS", "tracking_number": "1Z9", "tracking_url": "javascript:x"}
    )
    assert bad_link.status_code == 400
    assert Order.objects.get(pk=order.pk).fulfilment_status == S.PACKED

    done = staff.post(
        step_url(order, "shipped"),
        {"carrier": "UPS", "tracking_number": "1Z999AA10123456784", "tracking_url": "https://ups.example/1Z"},
    )
    assert done.status_code == 302 and done["Location"] == change_url(order)
    stored = Order.objects.get(pk=order.pk)
    assert (stored.fulfilment_status, stored.carrier, stored.tracking_number) == (
        "shipped",
        "UPS",
        "1Z999AA10123456784",
    )
    event = FulfilmentEvent.objects.get(order=order, to_status=S.SHIPPED)
    assert (event.actor, event.actor_label) == (staff.user, "boss")
    page = staff.get(change_url(order)).content.decode()
    assert "https://ups.example/1Z" in page and step_url(order, "delivered") in page


def test_an_illegal_step_is_refused_with_its_code_and_message(staff, order):
    page = staff.get(step_url(order, "delivered"))
    assert page.status_code == 409
    text = page.content.decode()
    assert "fulfilment_transition_invalid" in text and "cannot be marked delivered" in text
    assert staff.post(step_url(order, "delivered"), {}).status_code == 409
    assert Order.objects.get(pk=order.pk).fulfilment_status == S.UNFULFILLED
    assert staff.get(step_url(order, "lost")).status_code == 404


def test_list_actions_move_each_order_through_the_service_and_report_refusals(staff, order):
    refunded = OrderFactory(status="refunded")
    url = reverse("admin:checkout_order_changelist")
    response = staff.post(
        url, {"action": "mark_packed", "_selected_action": [order.pk, refunded.pk]}, follow=True
    ).content.decode()
    assert Order.objects.get(pk=order.pk).fulfilment_status == S.PACKED
    assert Order.objects.get(pk=refunded.pk).fulfilment_status == S.UNFULFILLED
    assert f"1 order(s) marked packed: {order.number}" in response
    assert f"{refunded.number}: Order {refunded.number} is refunded" in response

    ship = staff.post(url, {"action": "mark_shipped", "_selected_action": [order.pk]})
    assert ship.status_code == 302 and ship["Location"] == step_url(order, "shipped")

    staff.post(url, {"action": "cancel_fulfilment", "_selected_action": [order.pk]})
    assert Order.objects.get(pk=order.pk).fulfilment_status == S.CANCELLED


def test_refunds_only_through_the_refund_service_with_an_amount(staff, order):
    url = reverse("admin:checkout_order_refund", args=[order.pk])
    assert staff.get(url).status_code == 200
    assert staff.post(url, {"amount": ""}).status_code == 400
    too_much = staff.post(url, {"amount": "100.00"})
    assert too_much.status_code == 400 and "can still be refunded" in too_much.content.decode()
    assert not Refund.objects.exists()

    done = staff.post(url, {"amount": "10.00", "reason": "Damaged box"})
    assert done.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.status) == (Decimal("10.00"), "Damaged box", "succeeded")
    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.refunded_total) == ("partially_refunded", Decimal("10.00"))


def test_packing_list_shows_what_to_pack_and_where_escaped(staff, order):
    order.shipping_address = {**ADDRESS, "line_two": "<b>Flat 2</b>"}
    order.save()
    shipped = OrderFactory()
    order_fulfilment_transition(order=shipped, to_status=S.PACKED)
    order_fulfilment_transition(order=shipped, to_status=S.SHIPPED, carrier="UPS", tracking_number="1Z1")
    page = staff.post(
        reverse("admin:checkout_order_changelist"),
        {"action": "packing_list", "_selected_action": [order.pk, shipped.pk]},
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert order.number in text and shipped.number not in text
    assert "12 Elm Street" in text and "PS11750057" in text and "Rack Adjuster" in text
    assert "&lt;b&gt;Flat 2&lt;/b&gt;" in text and "<b>Flat 2</b>" not in text


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_of_orders_to_ship_from_the_admin_and_the_command(staff, order, tmp_path):
    hostile = OrderFactory(shipping_address={**ADDRESS, "name": "=HYPERLINK(1)"})
    done = OrderFactory()
    order_fulfilment_transition(order=done, to_status=S.CANCELLED)
    response = staff.post(
        reverse("admin:checkout_order_changelist"),
        {"action": "export_to_ship", "_selected_action": [order.pk, hostile.pk, done.pk]},
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = _rows(response.content.decode())
    assert [r["order_number"] for r in rows] == [order.number, hostile.number]
    first = rows[0]
    assert (first["name"], first["phone"], first["postal_code"], first["country"]) == (
        "Dana Fixit",
        "+12025550143",
        "62704",
        "US",
    )
    assert first["items"] == "2 x PS11750057 Rack Adjuster" and first["item_count"] == "2"
    assert rows[1]["name"] == "'=HYPERLINK(1)"  # not a formula in a spreadsheet

    out = io.StringIO()
    call_command("export_orders_to_ship", stdout=out, stderr=io.StringIO())
    assert [r["order_number"] for r in _rows(out.getvalue())] == [order.number, hostile.number]
    order_fulfilment_transition(order=order, to_status=S.PACKED)
    target = tmp_path / "packed.csv"
    call_command("export_orders_to_ship", "--status", "packed", "--output", str(target), stderr=io.StringIO())
    assert [r["order_number"] for r in _rows(target.read_text())] == [order.number]


def test_staff_api_moves_the_parcel_and_answers_with_codes(staff, order):
    url = reverse("checkout-order-fulfilment", args=[order.number])
    wrong = staff.post(url, {"status": "delivered"}, content_type="application/json")
    assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "fulfilment_transition_invalid"
    assert staff.post(url, {"status": "packed"}, content_type="application/json").status_code == 200
    untracked = staff.post(url, {"status": "shipped", "carrier": "UPS"}, content_type="application/json")
    assert untracked.status_code == 400 and untracked.json()["error"]["code"] == "tracking_required"
    shipped = staff.post(
        url, {"status": "shipped", "carrier": "UPS", "tracking_number": "1Z9"}, content_type="application/json"
    )
    assert shipped.status_code == 200
    body = shipped.json()
    assert (body["fulfilment_status"], body["carrier"], body["tracking_number"]) == ("shipped", "UPS", "1Z9")
    assert body["shipping_address"]["postal_code"] == "62704" and body["contact_email"] == "dana@example.com"
    assert [e["to_status"] for e in body["fulfilment_events"]] == ["packed", "shipped"]
    detail = staff.get(reverse("checkout-order-detail", args=[order.number])).json()
    assert detail["fulfilment_status"] == "shipped"


def test_staff_api_is_for_staff_only(client, order):
    url = reverse("checkout-order-fulfilment", args=[order.number])
    assert client.post(url, {"status": "packed"}, content_type="application/json").status_code == 403
    assert Order.objects.get(pk=order.pk).fulfilment_status == S.UNFULFILLED


def test_the_order_page_lists_the_providers_events_about_its_money(staff, order):
    from checkout.models import WebhookEvent

    refunded = {"type": "charge.refunded", "data": {"object": {"payment_intent": order.provider_payment_ref}}}
    WebhookEvent.objects.create(provider="stripe", event_id="evt_r", type="charge.refunded", payload=refunded)
    WebhookEvent.objects.create(
        provider="stripe", event_id="evt_other", type="charge.refunded", payload={"data": {"object": {}}}
    )
    text = staff.get(change_url(order)).content.decode()
    assert text.count("charge.refunded") == 1
    assert reverse("admin:checkout_webhookevent_change", args=[WebhookEvent.objects.get(event_id="evt_r").pk]) in text
