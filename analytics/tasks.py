from celery import shared_task
from django.db import InterfaceError, OperationalError

from core.queues import CeleryQueue


@shared_task(
    queue=CeleryQueue.BULK,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=60,
    max_retries=3,
    acks_late=True,
    reject_on_worker_lost=True,
    expires=120,
)
def analytics_rollups_refresh_task() -> int:
    """Beat, every minute: fold the events stored since the last run into the daily rollups.

    Idempotent (every rollup it touches is recomputed from the source rows) and exclusive (a
    run that finds another one in progress returns at once)."""
    from analytics.services.rollups import analytics_rollups_refresh

    result = analytics_rollups_refresh()
    return result.events
