"""Celery tasks of conversations: the WhatsApp webhook's events (thin; ids in)."""

from celery import shared_task
from django.db import OperationalError

from core.queues import CeleryQueue


class EventNotReady(Exception):
    """The event must wait (a reply being written elsewhere, a callback before its send)."""


@shared_task(
    bind=True,
    queue=CeleryQueue.DEFAULT,
    autoretry_for=(OperationalError, EventNotReady),
    retry_backoff=2,
    retry_backoff_max=120,
    max_retries=8,
    acks_late=True,
    reject_on_worker_lost=True,
)
def whatsapp_event_process_task(self, event_id: int) -> str:
    from conversations.services.whatsapp_inbound import NOT_READY, whatsapp_event_process

    outcome = whatsapp_event_process(event_id=event_id)
    if outcome == NOT_READY:
        raise EventNotReady(event_id)
    return outcome


@shared_task(queue=CeleryQueue.DEFAULT, acks_late=True, reject_on_worker_lost=True)
def whatsapp_events_reprocess_task() -> int:
    """Beat: events whose task was lost (broker down, worker killed) go back to the workers."""
    from conversations.services.whatsapp_inbound import whatsapp_events_due

    ids = whatsapp_events_due()
    for event_id in ids:
        whatsapp_event_process_task.delay(event_id)
    return len(ids)
