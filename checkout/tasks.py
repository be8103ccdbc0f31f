from celery import shared_task

from core.queues import CeleryQueue


class WebhookRetry(Exception):
    pass


@shared_task(
    bind=True,
    queue=CeleryQueue.PAYMENTS,
    autoretry_for=(WebhookRetry,),
    retry_backoff=1,
    retry_backoff_max=60,
    max_retries=8,
    acks_late=True,
    reject_on_worker_lost=True,
)
def webhook_event_process_task(self, webhook_event_id: int) -> str:
    from checkout.services.webhooks import NOT_READY, webhook_event_process

    status = webhook_event_process(webhook_event_id=webhook_event_id)
    if status == NOT_READY:
        raise WebhookRetry(f"webhook event {webhook_event_id} waits for its checkout session")
    return status


@shared_task(queue=CeleryQueue.PAYMENTS, acks_late=True)
def webhook_events_reprocess_task() -> int:
    """Beat: anything received but not processed (worker died, retries ran out) gets another go."""
    from checkout.models import WebhookEvent
    from core.inbound import inbound_events_due

    ids = inbound_events_due(WebhookEvent.objects.all(), grace_seconds=30, limit=500)
    for pk in ids:
        webhook_event_process_task.delay(pk)
    return len(ids)


@shared_task(queue=CeleryQueue.PAYMENTS, acks_late=True)
def refunds_stuck_complete_task() -> dict:
    """Beat: refunds left `requested` by a dead process asked again with their own key, recorded."""
    from checkout.services.refunds import refunds_stuck_complete

    return refunds_stuck_complete()
