"""What happened to the messages we sent on WhatsApp: accepted, then Meta's status callbacks.

The adapter records each message the Cloud API accepted (`whatsapp_sent_record`, by `wamid`).
Callbacks (`sent`, `delivered`, `read`, `failed`) arrive later, possibly repeated and in any
order; `whatsapp_status_apply` only moves a message forward (`WHATSAPP_STATUS_RANK`), so a late
`sent` never hides a `read`. The conversation's copy of the message carries the latest status in
`metadata["whatsapp"]` (`{"status", "at", "error"}`), which the operator inbox shows and the
REST/socket message shape exposes as `delivery`; operators are told at once
(`operator.delivery` on the operators group). A message WhatsApp could not deliver, or that the
outbox gave up on, is surfaced in the conversation as an internal `delivery_failed` note.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.enums import WHATSAPP_STATUS_RANK, MessageType, Role, WhatsAppSendStatus
from conversations.models import Conversation, Message, WhatsAppMessage
from core import realtime


def whatsapp_sent_record(
    *, wamid: str, to: str, body: dict, conversation_id: str = "", message_id: str = "", delivery_key: str = ""
) -> WhatsAppMessage:
    """The API accepted a message: remember it by its wamid (a repeat of the same wamid changes nothing)."""
    conversation = Conversation.objects.filter(pk=conversation_id).only("id").first() if conversation_id else None
    message = Message.objects.filter(pk=message_id).only("id").first() if message_id else None
    try:
        with transaction.atomic():
            row = WhatsAppMessage.objects.create(
                wamid=wamid[:200],
                to=to[:20],
                conversation=conversation,
                message=message,
                delivery_key=delivery_key[:200],
                body=body,
                status_at=timezone.now(),
            )
            if message is not None:
                _message_status_note(message_id=message.pk, status=row.status, at=row.status_at, error="")
    except IntegrityError:
        return WhatsAppMessage.objects.get(wamid=wamid[:200])
    return row


def _error_of(status: dict) -> str:
    errors = status.get("errors") if isinstance(status.get("errors"), list) else []
    parts = []
    for error in errors[:3]:
        if isinstance(error, dict):
            details = (
                (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else ""
            )
            text = " ".join(str(x) for x in (error.get("code", ""), error.get("title", ""), details or "") if x)
            parts.append(text)
    return "; ".join(parts)[:1000] or "WhatsApp reported the message as failed."


@transaction.atomic
def whatsapp_status_apply(*, wamid: str, status: dict, at: datetime | None) -> bool:
    """Apply one status callback. False when the message is unknown (yet: the callback can come
    before the send was recorded), True otherwise (applied, or older than what we know)."""
    row = WhatsAppMessage.objects.select_for_update().filter(wamid=wamid).first()
    if row is None:
        return False
    new = status.get("status")
    if new not in WHATSAPP_STATUS_RANK or WHATSAPP_STATUS_RANK[new] <= WHATSAPP_STATUS_RANK[row.status]:
        return True  # a repeat, an out-of-order older status, or one we do not track
    row.status = new
    row.status_at = at or timezone.now()
    row.error = _error_of(status) if new == WhatsAppSendStatus.FAILED else ""
    row.save(update_fields=["status", "status_at", "error", "updated_at"])
    if row.message_id:
        _message_status_note(message_id=row.message_id, status=row.status, at=row.status_at, error=row.error)
    if new == WhatsAppSendStatus.FAILED and row.conversation_id:
        whatsapp_failure_surface(conversation_id=row.conversation_id, message_id=row.message_id, error=row.error)
    return True


def _message_status_note(*, message_id: str, status: str, at: datetime | None, error: str) -> None:
    """The latest status on the conversation's copy, and the operators told on commit."""
    message = Message.objects.select_for_update().filter(pk=message_id).first()
    if message is None:
        return
    note = {"status": status, "at": at.isoformat() if at else None, "error": error}
    message.metadata = {**message.metadata, "whatsapp": note}
    message.save(update_fields=["metadata", "updated_at"])
    realtime.send_event_on_commit(
        realtime.OPERATORS_GROUP,
        {
            "type": "operator.delivery",
            "conversationId": message.conversation_id,
            "messageId": message.pk,
            "delivery": {"channel": "whatsapp", **note},
        },
    )


def whatsapp_failure_surface(*, conversation_id: str, message_id: str | None, error: str) -> Message | None:
    """An internal note in the conversation, once per failed message: operators see what the
    customer did not get, and why."""
    from conversations.services.messages import conversation_message_create

    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        return None
    if message_id:
        existing = Message.objects.filter(
            conversation=conversation, message_type=MessageType.DELIVERY_FAILED, metadata__failed_message_id=message_id
        ).first()
        if existing is not None:
            return existing
    return conversation_message_create(
        conversation=conversation,
        role=Role.INTERNAL,
        message_type=MessageType.DELIVERY_FAILED,
        content=f"WhatsApp did not deliver a message to the customer: {error}"[:2000],
        metadata={"failed_message_id": message_id or "", "channel": "whatsapp", "error": error[:1000]},
    )
