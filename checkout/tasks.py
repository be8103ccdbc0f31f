from datetime import timedelta

from celery import shared_task
from django.utils import timezone

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
    from checkout.enums import WebhookStatus
    from checkout.models import WebhookEvent

    stale = WebhookEvent.objects.filter(
        status=WebhookStatus.RECEIVED, created_at__lt=timezone.now() - timedelta(seconds=30)
    ).values_list("pk", flat=True)[:500]
    count = 0
    for pk in stale:
        webhook_event_process_task.delay(pk)
        count += 1
    return count


@shared_task(queue=CeleryQueue.PAYMENTS, acks_late=True)
def refunds_stuck_complete_task() -> dict:
    """Beat: refunds left `requested` by a dead process asked again with their own key, recorded."""
    from checkout.services.refunds import refunds_stuck_complete

    return refunds_stuck_complete()
