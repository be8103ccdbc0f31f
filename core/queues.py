"""Celery queues by kind of work, so a flood of one kind cannot starve another."""

from enum import StrEnum


class CeleryQueue(StrEnum):
    DEFAULT = "default"
    OUTBOUND = "outbound"  # messages to customers: web push, WhatsApp, email
    PAYMENTS = "payments"  # webhooks, refunds, reconciliation
    LLM = "llm"  # model calls
    BULK = "bulk"  # fan-outs, backfills, rollups
