"""Inbound events stored once (core.inbound), through the Stripe webhook's table and task: a
repeat stores and processes nothing, a payload PostgreSQL cannot keep is refused whole, and the
beat finds what waited too long, oldest first."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checkout.models import WebhookEvent
from checkout.tasks import webhook_event_process_task, webhook_events_reprocess_task
from core.inbound import inbound_event_store_once, inbound_events_due
from core.jsonsafe import InputRefused

pytestmark = pytest.mark.django_db


def _store(event_id: str, payload: dict | None = None):
    return inbound_event_store_once(
        WebhookEvent,
        process_task=webhook_event_process_task,
        provider="stripe",
        event_id=event_id,
        type="customer.created",
        payload=payload or {"id": event_id, "type": "customer.created"},
    )


def test_a_new_event_is_stored_and_processed_after_commit_a_repeat_is_neither(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as first:
        row = _store("evt_1")
    with django_capture_on_commit_callbacks(execute=True) as again:
        repeat = _store("evt_1")

    assert row is not None and repeat is None
    assert len(first) == 1 and len(again) == 0
    assert WebhookEvent.objects.get().status == "ignored"  # processed: no handler for this type


@pytest.mark.parametrize("text", ["a\x00b", "\ud800"])
def test_a_payload_postgresql_cannot_keep_is_refused_and_nothing_stored(text):
    with pytest.raises(InputRefused) as refused:
        _store("evt_2", {"id": "evt_2", "data": {"object": {"name": text}}})
    assert refused.value.code == "invalid_characters"
    assert not WebhookEvent.objects.exists()


def test_events_waiting_past_the_grace_are_due_oldest_first():
    now = timezone.now()
    ages = {"evt_old": 300, "evt_older": 600, "evt_new": 5, "evt_done": 600}
    for event_id, seconds in ages.items():
        row = WebhookEvent.objects.create(provider="stripe", event_id=event_id, type="customer.created", payload={})
        WebhookEvent.objects.filter(pk=row.pk).update(created_at=now - timedelta(seconds=seconds))
    WebhookEvent.objects.filter(event_id="evt_done").update(status="processed")

    due = inbound_events_due(WebhookEvent.objects.all(), grace_seconds=30, limit=10)
    assert [WebhookEvent.objects.get(pk=pk).event_id for pk in due] == ["evt_older", "evt_old"]
    assert len(inbound_events_due(WebhookEvent.objects.all(), grace_seconds=30, limit=1)) == 1

    assert webhook_events_reprocess_task() == 2
    assert set(WebhookEvent.objects.values_list("event_id", "status")) == {
        ("evt_old", "ignored"),
        ("evt_older", "ignored"),
        ("evt_new", "received"),
        ("evt_done", "processed"),
    }
