"""Events other systems send us (payment webhooks, WhatsApp messages and status callbacks) are
stored once, by the sender's own id, before anything acts on them; senders retry, so the same
event arriving again must change nothing.

`inbound_event_store_once` is that step for every channel: a row whose unique key is already
stored is a repeat; a new one is handed to its Celery task after the transaction commits, and
processed there idempotently (each domain's own service). The payload must be storable as it
is: PostgreSQL keeps no NUL or lone surrogate in jsonb, so such a payload is refused here, as
every JSON body is at the door (core.jsonsafe), instead of failing the insert with a 500.
"""

from datetime import timedelta

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from core.dispatch import task_send_on_commit
from core.enums import InboundEventStatus
from core.jsonsafe import json_check


def inbound_event_store_once(model: type[models.Model], *, process_task, **fields) -> models.Model | None:
    """Create the `model` row from `fields` unless one with the same unique key exists; a new row
    goes to `process_task(pk)` on commit. Returns the new row, or None for a repeat.

    Raises core.jsonsafe.InputRefused for a payload PostgreSQL cannot store."""
    json_check(fields.get("payload"))
    try:
        with transaction.atomic():
            row = model.objects.create(**fields)
    except IntegrityError:
        return None
    task_send_on_commit(process_task, row.pk)
    return row


def inbound_events_due(rows: models.QuerySet, *, grace_seconds: int, limit: int) -> list[int]:
    """Ids of the events among `rows` still waiting `grace_seconds` after they arrived (their task
    was lost: broker down, worker killed), oldest first, for a beat to hand out again."""
    waited = timezone.now() - timedelta(seconds=grace_seconds)
    rows = rows.filter(status=InboundEventStatus.RECEIVED, created_at__lte=waited).order_by("created_at")
    return list(rows.values_list("pk", flat=True)[:limit])
