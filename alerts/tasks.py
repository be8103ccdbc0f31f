"""Celery tasks of the alerts app: thin, idempotent, ids in (the services re-read everything)."""

from celery import shared_task
from django.db import OperationalError

from alerts.services.notices import AlertDeliveryRetryable
from core.queues import CeleryQueue

_RETRY = {
    "autoretry_for": (AlertDeliveryRetryable, OperationalError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(queue=CeleryQueue.BULK, **_RETRY)
def stock_change_process_task(product_id: int, old_quantity: int, new_quantity: int) -> str:
    """A committed stock change: open, advance or close the part's restock round."""
    from alerts.services.rounds import stock_change_process

    rnd = stock_change_process(product_id=product_id, old_quantity=old_quantity, new_quantity=new_quantity)
    return rnd.restock_key if rnd is not None else "no round"


@shared_task(queue=CeleryQueue.BULK, **_RETRY)
def restock_round_advance_task(round_id: int) -> int:
    """The round's next wave, when it is due and stock remains."""
    from alerts.services.rounds import restock_round_advance

    return restock_round_advance(round_id=round_id)


@shared_task(queue=CeleryQueue.OUTBOUND, **_RETRY)
def alert_notices_send_task(notice_ids: list[int]) -> dict:
    """Send one batch of notices (claim, send, record each). Notices that failed in a way worth
    retrying are back to pending: raising makes Celery run the batch again with backoff (only
    those are claimable then); after the last retry the reconcile beat picks them up."""
    from alerts.services.notices import alert_notices_send

    result = alert_notices_send(notice_ids=notice_ids)
    if result.retry:
        raise AlertDeliveryRetryable(f"{result.retry} of {result.claimed} notices will be retried.")
    return {"sent": result.sent, "failed": result.failed, "cancelled": result.cancelled, "lost": result.lost_claims}


@shared_task(queue=CeleryQueue.BULK, acks_late=True, reject_on_worker_lost=True)
def alerts_reconcile_task() -> dict:
    """Beat: due waves, orphaned or abandoned notices back to the workers, told subscribers marked."""
    from alerts.services.notices import alerts_reconcile

    return alerts_reconcile()
