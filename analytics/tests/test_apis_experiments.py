"""Experiments over HTTP: assignment, the beacon's events, the signed order webhook, the staff report."""

import json
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.models import Event, Experiment
from analytics.services.experiments import experiment_start, shop_webhook_sign
from analytics.services.rollups import analytics_rollups_refresh

pytestmark = pytest.mark.django_db
SECRET = "whsec-shop-test"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def experiment(db):
    return experiment_start(experiment=Experiment.objects.create(name="Chat vs none", holdout_percent=10))


def test_assign_answers_the_arm_and_refuses_a_bad_visitor(api, experiment):
    ok = api.post(
        "/api/analytics/experiments/assign", {"visitor_id": "v_0123456789abcdef", "page_url": "/p"}, format="json"
    )
    assert ok.status_code == 200
    body = ok.json()
    assert body["experiment_id"] == experiment.pk
    assert body["show_widget"] == (body["arm"] == "chat")
    bad = api.post("/api/analytics/experiments/assign", {"visitor_id": "<script>"}, format="json")
    assert bad.status_code == 400 and "visitor_id" in bad.json()["error"]["fields"]


def _beacon(api, *events):
    return api.post("/api/analytics/events", {"events": list(events)}, format="json").json()


def test_the_beacon_sends_visitor_events_without_a_token(api):
    now = timezone.now().isoformat()
    result = _beacon(
        api,
        {
            "event_id": "e1",
            "name": "product_viewed",
            "occurred_at": now,
            "visitor_id": "v_0123456789",
            "psNumber": "PS11750057",
        },
        {"event_id": "e2", "name": "cart_added", "occurred_at": now, "visitor_id": "v_0123456789"},
        {
            "event_id": "e3",
            "name": "order_completed",
            "occurred_at": now,
            "visitor_id": "v_0123456789",
            "order_id": "A-1",
            "value": "12.50",
        },
        {"event_id": "e4", "name": "product_viewed", "occurred_at": now},
        {
            "event_id": "e5",
            "name": "order_completed",
            "occurred_at": now,
            "visitor_id": "v_0123456789",
            "order_id": "A-2",
            "value": "-1",
        },
        {
            "event_id": "e6",
            "name": "order_completed",
            "occurred_at": now,
            "visitor_id": "v_0123456789",
            "order_id": "A-3",
            "value": "5",
            "currency": "EUR",
        },
        {
            "event_id": "e7",
            "name": "cart_added",
            "occurred_at": now,
            "visitor_id": "v_0123456789",
            "conversation_id": "c1",
        },
        {"event_id": "e8", "name": "experiment_assigned", "occurred_at": now, "visitor_id": "v_0123456789"},
    )
    assert result["accepted"] == 3
    assert [(r["event_id"], r["code"]) for r in result["rejected"]] == [
        ("e4", "visitor_required"),
        ("e5", "invalid_order"),
        ("e6", "currency_mismatch"),
        ("e7", "unknown_field"),
        ("e8", "server_only_name"),
    ]
    stored = Event.objects.get(name="order_completed")
    assert (stored.event_id, str(stored.value), stored.conversation_id) == ("order:A-1", "12.50", "")
    assert Event.objects.get(name="product_viewed").ps_number == "PS11750057"


def _webhook(api, body: bytes, header: str | None):
    extra = {"HTTP_PARLEY_SIGNATURE": header} if header is not None else {}
    return api.generic("POST", "/webhooks/shop-orders", body, content_type="application/json", **extra)


ORDER = {"order_id": "SHOP-9", "visitor_id": "v_0123456789", "value": "59.90", "currency": "USD"}


def test_the_order_webhook_is_off_without_a_secret(api):
    body = json.dumps(ORDER).encode()
    response = _webhook(api, body, shop_webhook_sign(body=body, secret="anything"))
    assert response.status_code == 404 and response.json()["error"]["code"] == "webhook_disabled"


@override_settings(PARLEY_SHOP_WEBHOOK_SECRET=SECRET)
def test_the_order_webhook_is_signed_validated_and_idempotent(api):
    body = json.dumps(ORDER).encode()
    first = _webhook(api, body, shop_webhook_sign(body=body, secret=SECRET))
    assert first.status_code == 200 and first.json() == {"order_id": "SHOP-9", "recorded": True}
    retry = _webhook(api, body, shop_webhook_sign(body=body, secret=SECRET))
    assert retry.json() == {"order_id": "SHOP-9", "recorded": False}
    event = Event.objects.get(name="order_completed")
    assert (event.event_id, event.visitor_id, str(event.value)) == ("order:SHOP-9", "v_0123456789", "59.90")

    for header in (None, "", "t=1,v1=00", shop_webhook_sign(body=body, secret="wrong")):
        refused = _webhook(api, body, header)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_signature"
    stale = shop_webhook_sign(body=body, secret=SECRET, at=int(time.time()) - 3600)
    assert _webhook(api, body, stale).status_code == 401

    for bad in (b"not json", json.dumps([1]).encode(), json.dumps({**ORDER, "value": "abc"}).encode()):
        response = _webhook(api, bad, shop_webhook_sign(body=bad, secret=SECRET))
        assert response.status_code == 400, response.content
    euro = json.dumps({**ORDER, "order_id": "SHOP-10", "currency": "EUR"}).encode()
    response = _webhook(api, euro, shop_webhook_sign(body=euro, secret=SECRET))
    assert response.status_code == 400 and response.json()["error"]["code"] == "currency_mismatch"
    assert Event.objects.filter(name="order_completed").count() == 1


def test_the_report_is_staff_only_documented_and_exports_csv(api, staff_api, customer_api, experiment):
    for visitor in ("v_0000000001", "v_0000000002", "v_0000000003"):
        api.post("/api/analytics/experiments/assign", {"visitor_id": visitor}, format="json")
    analytics_rollups_refresh(now=timezone.now() + timedelta(minutes=1))
    url = f"/api/admin/experiments/{experiment.pk}"
    assert api.get(url).status_code in (401, 403)
    assert customer_api.get(url).status_code == 403
    assert staff_api.get("/api/admin/experiments/999999").json()["error"]["code"] == "experiment_not_found"
    body = staff_api.get(url).json()
    assert set(body) == {
        "experiment",
        "as_of",
        "arms",
        "conversion",
        "revenue_per_visitor",
        "sample_size",
        "sample_ratio",
        "verdict",
        "daily",
    }
    assert sum(arm["visitors"] for arm in body["arms"]) == 3
    assert body["verdict"]["text"]
    listing = staff_api.get("/api/admin/experiments").json()["experiments"]
    assert [e["id"] for e in listing] == [experiment.pk]
    csv = staff_api.get(url, {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("day,chat_visitors,chat_converters") and len(lines) == 2


def test_the_admin_configures_starts_and_stops_an_experiment(db, client):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("boss", password="pw-boss-12345")
    client.force_login(admin_user)
    refused = client.post(
        "/admin/analytics/experiment/add/",
        {"name": "Chat", "holdout_percent": 10, "pages": "products/", "mde_points": "0.5"},
    )
    assert refused.status_code == 200 and "starting with /" in refused.content.decode()
    client.post(
        "/admin/analytics/experiment/add/",
        {"name": "Chat", "holdout_percent": 10, "pages": "/products/\n/parts/", "mde_points": "0.5"},
    )
    experiment = Experiment.objects.get()
    assert (experiment.status, experiment.holdout_percent) == ("draft", 10)
    changelist = "/admin/analytics/experiment/"
    client.post(changelist, {"action": "start_experiments", "_selected_action": [experiment.pk]})
    experiment.refresh_from_db()
    assert experiment.status == "running" and experiment.started_at
    locked = client.post(
        f"/admin/analytics/experiment/{experiment.pk}/change/",
        {"name": "Chat", "holdout_percent": 50, "pages": "", "mde_points": "0.5"},
    )
    assert "cannot change" in locked.content.decode()
    client.post(changelist, {"action": "stop_experiments", "_selected_action": [experiment.pk]})
    experiment.refresh_from_db()
    assert experiment.status == "stopped" and experiment.stopped_at
    assert "Open the result" in client.get(changelist).content.decode()
