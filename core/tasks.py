"""Celery tasks of the core: the outbox's sender and its reconcile beat (thin; ids in)."""

from celery import shared_task
from django.db import OperationalError

from core.queues import CeleryQueue


@shared_task(
    bind=True,
    queue=CeleryQueue.OUTBOUND,
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    max_retries=None,
    acks_late=True,
    reject_on_worker_lost=True,
)
def outbox_deliveries_send_task(self, delivery_ids: list[int]) -> dict:
    """Send deliveries (one, or a batch of a fan-out or of the reconcile beat); those that failed
    worth retrying come back, as one batch, when the first of them is due. The one send task."""
    from core.outbox.services import deliveries_send

    batch = deliveries_send(delivery_ids=delivery_ids)
    if batch.retry_ids:
        self.apply_async((batch.retry_ids,), countdown=batch.retry_in)
    return {"sent": batch.count("sent"), "retry": len(batch.retry_ids), "claimed": len(batch.outcomes)}


@shared_task(queue=CeleryQueue.OUTBOUND, acks_late=True, reject_on_worker_lost=True)
def outbox_reconcile_task() -> dict:
    """Beat: due deliveries and expired leases (a killed worker) go back to the workers."""
    from core.outbox.services import deliveries_reconcile

    return deliveries_reconcile()
