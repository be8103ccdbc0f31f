"""Server-side telemetry: written after the causing transaction commits, never able to break it."""

import logging
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from analytics.enums import EventName, EventSource
from analytics.models import Event

logger = logging.getLogger(__name__)


def _write(fields: dict[str, Any]) -> None:
    try:
        Event.objects.create(**fields)
    except Exception:
        logger.exception("telemetry event %s was not recorded", fields.get("name"))


def event_record(
    *,
    name: EventName | str,
    conversation_id: str = "",
    action_type: str = "",
    ps_number: str = "",
    model_number: str = "",
    intent: str = "",
    properties: dict | None = None,
    event_id: str | None = None,
) -> None:
    fields = {
        "event_id": event_id or f"srv_{uuid.uuid4().hex}",
        "name": str(name),
        "source": EventSource.SERVER,
        "occurred_at": timezone.now(),
        "conversation_id": conversation_id or "",
        "action_type": action_type or "",
        "ps_number": ps_number or "",
        "model_number": model_number or "",
        "intent": intent or "",
        "properties": properties or {},
    }
    transaction.on_commit(lambda: _write(fields))
