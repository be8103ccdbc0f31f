"""Celery tasks of the actions app: thin, idempotent, ids in."""

from celery import shared_task

from core.queues import CeleryQueue


@shared_task(queue=CeleryQueue.BULK, acks_late=True, reject_on_worker_lost=True)
def actions_expire_task() -> int:
    """Beat: rendered, clicked or pending actions untouched for PARLEY_ACTION_EXPIRY_HOURS expire."""
    from actions.services.expiry import actions_expire

    return actions_expire()
