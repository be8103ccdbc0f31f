"""Celery tasks of the core: the outbox's sender and its reconcile beat (thin; ids in)."""

from celery import shared_task
from django.db import OperationalError

from core.queues import CeleryQueue


@shared_task(
    bind=True,
    queue=CeleryQueue.OUTBOUND,
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    max_retries=None,  # the delivery row counts attempts (Sender.attempts_allowed), not Celery
    acks_late=True,
    reject_on_worker_lost=True,
)
def outbox_delivery_send_task(self, delivery_id: int) -> str:
    """Send one outbound delivery; a retryable failure comes back when the row says it is due."""
    from core.outbox.services import RETRY, delivery_send

    outcome = delivery_send(delivery_id=delivery_id)
    if outcome.status == RETRY:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(queue=CeleryQueue.OUTBOUND, acks_late=True, reject_on_worker_lost=True)
def outbox_reconcile_task() -> dict:
    """Beat: due deliveries and expired leases (a killed worker) go back to the workers."""
    from core.outbox.services import deliveries_reconcile

    return deliveries_reconcile()
