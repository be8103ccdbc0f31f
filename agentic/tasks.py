from celery import shared_task

from core.queues import CeleryQueue


class WebhookDeliveryRetry(Exception):
    pass


@shared_task(
    bind=True,
    queue=CeleryQueue.OUTBOUND,
    autoretry_for=(WebhookDeliveryRetry,),
    retry_backoff=5,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=10,
    acks_late=True,
    reject_on_worker_lost=True,
)
def webhook_delivery_send_task(self, delivery_id: int) -> str:
    """POST one order event to its platform; retried with backoff while the platform fails."""
    from agentic.services.webhooks import RETRY, webhook_delivery_send

    outcome = webhook_delivery_send(delivery_id=delivery_id)
    if outcome == RETRY:
        raise WebhookDeliveryRetry(f"webhook delivery {delivery_id} will be retried")
    return outcome


@shared_task(queue=CeleryQueue.OUTBOUND, acks_late=True, reject_on_worker_lost=True)
def webhook_deliveries_resend_due_task() -> int:
    """Beat: pending deliveries whose retry is overdue (a lost task, a dead worker) are sent again."""
    from agentic.services.webhooks import webhook_deliveries_due

    due = webhook_deliveries_due()
    for delivery_id in due:
        webhook_delivery_send_task.delay(delivery_id)
    return len(due)


@shared_task(queue=CeleryQueue.BULK, acks_late=True, reject_on_worker_lost=True)
def idempotency_records_purge_task() -> int:
    """Beat: Idempotency-Key records older than ACP_IDEMPOTENCY_RETENTION_HOURS (≥ 24 h) are deleted."""
    from agentic.services.idempotency import idempotency_records_purge

    return idempotency_records_purge()
