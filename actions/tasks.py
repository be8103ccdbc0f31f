"""Celery tasks of the actions app: thin, idempotent, ids in."""

from celery import shared_task
from django.db import OperationalError

from actions.exceptions import DeliveryRetryable
from core.queues import CeleryQueue


@shared_task(
    queue=CeleryQueue.OUTBOUND,
    autoretry_for=(DeliveryRetryable, OperationalError),
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=6,
    acks_late=True,
    reject_on_worker_lost=True,
)
def action_response_deliver_task(response_id: int) -> str:
    """Tell the customer about an operator's decision (see actions.services.responses)."""
    from actions.services.responses import action_response_deliver

    response = action_response_deliver(response_id=response_id)
    return response.status if response is not None else "skipped"


@shared_task(queue=CeleryQueue.OUTBOUND, acks_late=True, reject_on_worker_lost=True)
def action_responses_reconcile_task() -> dict:
    """Beat: re-send responses left pending or failed-retryable, and expire stale actions."""
    from actions.services.responses import action_responses_reconcile

    return action_responses_reconcile()


@shared_task(queue=CeleryQueue.BULK, acks_late=True, reject_on_worker_lost=True)
def actions_expire_task() -> int:
    """Beat: rendered, clicked or pending actions untouched for PARLEY_ACTION_EXPIRY_HOURS expire."""
    from actions.services.expiry import actions_expire

    return actions_expire()
