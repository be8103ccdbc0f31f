"""Experiments end to end below HTTP: assignment, orders from every door, the rollups and the report."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.enums import ExperimentArm
from analytics.exceptions import ExperimentInvalid
from analytics.models import Event, Experiment, ExperimentVisitor
from analytics.selectors.experiments import experiment_report_get
from analytics.services import events_ingest
from analytics.services.experiments import (
    experiment_arm,
    experiment_assign,
    experiment_start,
    experiment_stop,
    shop_order_record,
)
from analytics.services.rollups import analytics_rollups_rebuild, analytics_rollups_refresh

pytestmark = pytest.mark.django_db(transaction=True)


def later():
    return timezone.now() + timedelta(minutes=1)  # past the refresh's commit grace


def running(**fields) -> Experiment:
    # A fixed salt: the same visitors land in the same arms on every run.
    fields.setdefault("salt", "test-salt")
    return experiment_start(experiment=Experiment.objects.create(name="Chat vs none", **fields))


def order(order_id, visitor, value="25.00", when=None):
    return shop_order_record(
        order_id=order_id, visitor_id=visitor, value=Decimal(value), currency="USD", occurred_at=when or timezone.now()
    )


def test_assignment_is_stable_recorded_once_and_follows_the_split():
    experiment = running(holdout_percent=20)
    first = experiment_assign(visitor_id="visitor-0001", page_url="https://shop.example/p/1")
    again = experiment_assign(visitor_id="visitor-0001", page_url="https://shop.example/p/2")
    assert first == again and first.experiment_id == experiment.pk
    assert Event.objects.filter(name="experiment_assigned", visitor_id="visitor-0001").count() == 1
    arms = [experiment_arm(experiment=experiment, visitor_id=f"v{i:07d}") for i in range(4000)]
    assert 0.17 < arms.count(ExperimentArm.HOLDOUT) / 4000 < 0.23
    other = Experiment(name="next", salt="another", holdout_percent=20)
    reshuffled = [experiment_arm(experiment=other, visitor_id=f"v{i:07d}") for i in range(4000)]
    assert reshuffled != arms  # a new experiment draws new arms


def test_pages_not_covered_and_no_running_experiment_leave_the_widget_alone():
    assert experiment_assign(visitor_id="visitor-0001", page_url="/p/1").arm is None
    running(pages="/products/\n/parts/")
    outside = experiment_assign(visitor_id="visitor-0001", page_url="https://shop.example/blog/post")
    assert outside.arm is None and outside.show_widget
    inside = experiment_assign(visitor_id="visitor-0001", page_url="https://shop.example/parts/PS1?x=1")
    assert inside.arm in ("chat", "holdout")
    with pytest.raises(ExperimentInvalid):
        experiment_assign(visitor_id="short", page_url="/")


def test_one_experiment_runs_at_a_time_and_a_stopped_one_stays_stopped():
    first = running()
    with pytest.raises(ExperimentInvalid):
        running()
    experiment_stop(experiment=first)
    with pytest.raises(ExperimentInvalid):
        experiment_start(experiment=first)
    with pytest.raises(ExperimentInvalid):
        experiment_stop(experiment=first)
    running()


def test_the_report_counts_each_visitor_in_its_arm_with_orders_from_every_door():
    experiment = running(holdout_percent=50)
    visitors = [f"visitor-{i:04d}" for i in range(60)]
    arms = {v: experiment_assign(visitor_id=v, page_url="/").arm for v in visitors}
    chat = [v for v in visitors if arms[v] == "chat"]
    holdout = [v for v in visitors if arms[v] == "holdout"]
    assert chat and holdout, arms
    # An order before assignment does not count (the arm could not have caused it).
    order("early-1", chat[0], when=timezone.now() - timedelta(hours=1))
    # The webhook, its retry, and the beacon reporting the same order: one order.
    assert order("1001", chat[0], "40.00") is True
    assert order("1001", chat[0], "40.00") is False
    result = events_ingest(
        events=[
            {
                "event_id": "b1",
                "name": "order_completed",
                "occurred_at": timezone.now().isoformat(),
                "visitor_id": chat[0],
                "order_id": "1001",
                "value": "40.00",
            },
            {
                "event_id": "b2",
                "name": "order_completed",
                "occurred_at": timezone.now().isoformat(),
                "visitorId": holdout[0],
                "orderId": "1002",
                "value": 10,
            },
        ],
        token=None,
    )
    assert (result.accepted, result.duplicates, result.rejected) == (1, 1, [])
    order("1003", chat[0], "20.00")  # a second order by the same visitor: one converter, two orders
    order("1004", chat[1], "30.00")
    analytics_rollups_refresh(now=later())

    report = experiment_report_get(experiment_id=experiment.pk)
    by_arm = {row["arm"]: row for row in report["arms"]}
    assert by_arm["chat"]["visitors"] == len(chat) and by_arm["holdout"]["visitors"] == len(holdout)
    assert (by_arm["chat"]["converters"], by_arm["chat"]["orders"], by_arm["chat"]["revenue"]) == (2, 3, 90.0)
    assert (by_arm["holdout"]["converters"], by_arm["holdout"]["orders"], by_arm["holdout"]["revenue"]) == (1, 1, 10.0)
    assert by_arm["chat"]["aov"] == pytest.approx(30.0)
    assert by_arm["chat"]["revenue_per_visitor"] == pytest.approx(90 / len(chat))
    expected = (2 / len(chat) - 1 / len(holdout)) * 100
    assert report["conversion"]["estimate"] == pytest.approx(expected)
    assert report["conversion"]["ci_low"] < expected < report["conversion"]["ci_high"]
    assert report["verdict"]["status"] == "not_enough_data", (len(chat), len(holdout), report["verdict"])
    assert report["daily"][-1]["chat_visitors"] == len(chat)

    # After the stop, new orders do not count; a full rebuild gives the same figures.
    experiment_stop(experiment=experiment)
    order("1005", holdout[1], "99.00", when=timezone.now() + timedelta(seconds=1))
    analytics_rollups_refresh(now=later())
    assert experiment_report_get(experiment_id=experiment.pk)["arms"] == report["arms"]
    analytics_rollups_rebuild(now=later())
    rebuilt = experiment_report_get(experiment_id=experiment.pk)
    assert rebuilt["arms"] == report["arms"] and rebuilt["daily"] == report["daily"]
    assert ExperimentVisitor.objects.filter(experiment=experiment).count() == 60


def test_no_data_and_a_draft_read_plainly():
    draft = Experiment.objects.create(name="later")
    assert experiment_report_get(experiment_id=draft.pk)["verdict"]["status"] == "draft"
    experiment = running()
    analytics_rollups_refresh(now=later())
    report = experiment_report_get(experiment_id=experiment.pk)
    assert report["verdict"]["status"] == "no_data"
    assert report["conversion"]["estimate"] is None and report["daily"] == []


def test_a_chat_checkout_order_is_a_conversion_of_the_widget_visitor(api, shop):
    from checkout.models import CheckoutSession
    from checkout.providers.offline_provider import signed_event

    experiment = running(holdout_percent=1)
    visitor = next(
        f"visitor-{i:04d}"
        for i in range(100)
        if experiment_arm(experiment=experiment, visitor_id=f"visitor-{i:04d}") == "chat"
    )
    assert experiment_assign(visitor_id=visitor, page_url="/").arm == "chat"
    conv = api.post("/api/chat/conversations", {"context": {"visitorId": visitor}}, format="json").json()
    reply = api.post(
        f"/api/chat/conversations/{conv['id']}/messages",
        {"content": "Is PS11750057 compatible with my WDT780SAEM1?"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {conv['token']}",
    ).json()["reply"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {conv['token']}")
    created = api.post("/api/checkout/session", {"action_id": reply["actions"][0]["id"]}, format="json").json()
    session = CheckoutSession.objects.get(id=created["session_id"])
    payload, header = signed_event(
        event_type="checkout.session.completed", session=session, payment_status="paid", status="complete"
    )
    response = api.generic(
        "POST", "/webhooks/stripe", payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 200, response.content
    event = Event.objects.get(name="order_completed")
    assert (event.visitor_id, event.value) == (visitor, Decimal("24.99"))
    assert event.event_id.startswith("order:parley:ORD-")
    analytics_rollups_refresh(now=later())
    chat = experiment_report_get(experiment_id=experiment.pk)["arms"][0]
    assert (chat["arm"], chat["visitors"], chat["converters"], chat["revenue"]) == ("chat", 1, 1, 24.99)
