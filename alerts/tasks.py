"""Celery tasks of the alerts app: thin, idempotent, ids in (the services re-read everything)."""

from celery import shared_task
from django.db import OperationalError

from core.queues import CeleryQueue

_RETRY = {
    "autoretry_for": (OperationalError,),
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


@shared_task(queue=CeleryQueue.BULK, acks_late=True, reject_on_worker_lost=True)
def alerts_reconcile_task() -> dict:
    """Beat: due waves; told subscribers marked and their events written (sending is the outbox's)."""
    from alerts.services.notices import alerts_reconcile

    return alerts_reconcile()
