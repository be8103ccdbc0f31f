from celery import shared_task

from core.queues import CeleryQueue


@shared_task(queue=CeleryQueue.BULK, acks_late=True, reject_on_worker_lost=True)
def idempotency_records_purge_task() -> int:
    """Beat: Idempotency-Key records older than ACP_IDEMPOTENCY_RETENTION_HOURS (≥ 24 h) are deleted."""
    from agentic.services.idempotency import idempotency_records_purge

    return idempotency_records_purge()


@shared_task(queue=CeleryQueue.BULK, acks_late=True, reject_on_worker_lost=True)
def acp_sessions_expire_task() -> int:
    """Beat: open ACP sessions past their `expires_at` become `expired` (idempotent: a swept one is not open)."""
    from agentic.services.sessions import acp_sessions_expire

    return acp_sessions_expire()
