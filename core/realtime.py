"""The one way anything is pushed to WebSockets: after the transaction commits.

Events are dicts with a `type` (dots allowed, as Channels maps `action.status` to the
consumer method `action_status`). Only services call this.
"""

import logging
import re

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9\-.]")


def conversation_group(conversation_id: str) -> str:
    return "conversation." + _UNSAFE.sub("-", conversation_id)


OPERATORS_GROUP = "operators"


def send_now(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # a dropped push must never undo or break the write that caused it
        logger.exception("realtime push to %s failed", group)


def send_on_commit(group: str, event: dict) -> None:
    assert "type" in event, "every realtime event has a type"
    transaction.on_commit(lambda: send_now(group, event))
