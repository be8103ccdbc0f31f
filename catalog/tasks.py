"""Celery tasks of the catalogue: thin, ids in (the services re-read everything)."""

from celery import shared_task
from django.db import OperationalError

from catalog.search.embeddings import EmbeddingError
from core.queues import CeleryQueue


@shared_task(
    queue=CeleryQueue.BULK,
    autoretry_for=(OperationalError, EmbeddingError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def product_embeddings_refresh_task(product_ids: list[int]) -> int:
    """The search vectors of these parts, for those whose text changed (idempotent: an unchanged
    text is skipped, so a task run twice embeds nothing the second time)."""
    from catalog.services.embeddings import product_embeddings_refresh

    return product_embeddings_refresh(product_ids=product_ids).embedded
