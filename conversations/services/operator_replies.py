"""An operator writes to the customer: stored once, said on the conversation's own channel.

`operator_reply_send` stores the message (role `operator`, the operator's display name in its
metadata and in the reply contract's `operator.name`) in the transaction holding the
conversation's row lock, where it also decides who may answer:
- a conversation another operator holds is refused (409 `handoff_assigned_to_other`); one
  nobody holds is claimed by the reply (a takeover when the assistant had it);
- `reply_to` (a customer message id) refuses a second operator answer to the same customer
  message (409 `message_already_answered`): two operators cannot both answer it;
- `client_message_id` makes a retry (double click, second tab) return the stored reply.

The web chat hears the stored message from its push on commit (as every chat message);
WhatsApp and email get an outbox delivery (kind `conversations.operator_reply`, keyed by
message and channel) that the outbox sends once through the outbound adapters. A web
customer who left an email outside shop hours is also written to there.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics.enums import EventName
from analytics.services import event_record
from conversations.enums import Channel, Handling, Role
from conversations.error_codes import ConversationErrorCode
from conversations.models import Conversation, ConversationNote, Handoff, Message
from conversations.selectors import handoff_open_get, operator_display_name
from conversations.services.handoff import HandoffAssignedToOther, conversation_lock, handoff_assign_locked
from conversations.services.messages import conversation_message_create, message_content_clean
from core.exceptions import Conflict, NotFound
from core.outbound import OutboundMessage, outbound_send
from core.outbox.models import OutboundDelivery
from core.outbox.registry import Sender, SendResult
from core.outbox.services import delivery_enqueue

OPERATOR_REPLY = "conversations.operator_reply"


def _targets(conversation: Conversation, handoff: Handoff | None) -> list[tuple[str, str]]:
    """(channel, address) pairs the reply leaves on besides the stored message."""
    customer = conversation.customer
    if conversation.channel == Channel.WHATSAPP:
        return [(Channel.WHATSAPP, customer.phone)]
    if conversation.channel == Channel.EMAIL:
        return [(Channel.EMAIL, customer.email)]
    if handoff is not None and handoff.after_hours and handoff.notify_email:
        return [(Channel.EMAIL, handoff.notify_email)]
    return []


def _retry_of(conversation: Conversation, client_message_id: str, operator) -> Message | None:
    if not client_message_id:
        return None
    found = Message.objects.filter(conversation=conversation, client_message_id=client_message_id).first()
    if found is None:
        return None
    if found.role != Role.OPERATOR or found.metadata.get("operator_id") != operator.pk:
        raise Conflict(
            "That client_message_id is already used in this conversation.", code=ConversationErrorCode.MESSAGE_INVALID
        )
    return found


@transaction.atomic
def operator_reply_send(
    *, conversation_id: str, operator, content, client_message_id: str = "", reply_to: str = ""
) -> Message:
    text = message_content_clean(content)
    client_message_id = (client_message_id or "")[:64]
    conversation = conversation_lock(conversation_id)
    retry = _retry_of(conversation, client_message_id, operator)
    if retry is not None:
        return retry
    holder = conversation.assignee_id
    if conversation.handling == Handling.ASSIGNED and holder is not None and holder != operator.pk:
        raise HandoffAssignedToOther(
            f"{operator_display_name(conversation.assignee)} has this conversation; ask them or reassign it.",
            fields={"assignee": [operator_display_name(conversation.assignee)]},
        )
    if reply_to:
        answered = Message.objects.filter(
            conversation=conversation, role=Role.OPERATOR, metadata__reply_to=reply_to
        ).first()
        if not Message.objects.filter(conversation=conversation, pk=reply_to, role=Role.USER).exists():
            raise NotFound(
                "`reply_to` is not a customer message of this conversation.",
                code=ConversationErrorCode.MESSAGE_NOT_FOUND,
            )
        if answered is not None:
            raise Conflict(
                f"{answered.metadata.get('operator_name') or 'Another operator'} already answered that message.",
                code=ConversationErrorCode.MESSAGE_ALREADY_ANSWERED,
                fields={"reply_to": [reply_to], "answer": [answered.pk]},
            )
    if conversation.handling != Handling.ASSIGNED or holder is None:
        handoff_assign_locked(conversation=conversation, operator=operator, actor=operator, note="claimed by replying")
    handoff = handoff_open_get(conversation_id=conversation.pk)
    name = operator_display_name(operator)
    # No duplicate client_message_id can get here: `_retry_of` looked under the row lock.
    message = conversation_message_create(
        conversation=conversation,
        role=Role.OPERATOR,
        content=text,
        client_message_id=client_message_id,
        locked=True,
        metadata={
            "operator_id": operator.pk,
            "operator_name": name,
            "handoff_id": handoff.pk,
            **({"reply_to": reply_to} if reply_to else {}),
        },
    )
    if handoff.first_response_at is None:
        now = timezone.now()
        Handoff.objects.filter(pk=handoff.pk).update(first_response_at=now, updated_at=now)
        event_record(
            name=EventName.HANDOFF_FIRST_RESPONSE,
            conversation_id=conversation.pk,
            properties={
                "handoff_id": handoff.pk,
                "operator_id": operator.pk,
                "operator_name": name,
                "seconds_to_first_response": (now - handoff.requested_at).total_seconds(),
            },
            event_id=f"{handoff.pk}:first_response",
        )
    for channel, _address in _targets(conversation, handoff):
        delivery_enqueue(
            kind=OPERATOR_REPLY,
            key=f"operator_reply:{message.pk}:{channel}",
            payload={"message_id": message.pk, "channel": channel},
        )
    return message


class OperatorReplySender(Sender):
    """Sends an operator's reply on WhatsApp or by email (outbox kind `conversations.operator_reply`)."""

    kind = OPERATOR_REPLY

    def send(self, delivery: OutboundDelivery) -> SendResult:
        message = (
            Message.objects.select_related("conversation__customer").filter(pk=delivery.payload["message_id"]).first()
        )
        if message is None:
            return SendResult.nothing_to_send("The message is gone.")
        conversation = message.conversation
        channel = delivery.payload["channel"]
        handoff = Handoff.objects.filter(pk=message.metadata.get("handoff_id")).first()
        address = dict(_targets(conversation, handoff)).get(channel, "")
        if not address:
            return SendResult.failed(f"No {channel} address for this customer.", retryable=False)
        name = message.metadata.get("operator_name") or "Our team"
        shop = settings.PARLEY_SHOP_NAME
        if channel == Channel.EMAIL:
            text = f"{message.content}\n\n— {name}, {shop}\n\n{settings.PARLEY_PUBLIC_URL}"
        else:
            text = f"{name} ({shop}): {message.content}"
        return outbound_send(
            message=OutboundMessage(
                channel=channel,
                to=address,
                text=text,
                subject=f"{name} from {shop} replied",
                conversation_id=conversation.pk,
                idempotency_key=delivery.key,
                extra={"message_id": message.pk, "operator_reply": True},
            )
        )

    def on_failed(self, delivery: OutboundDelivery, result: SendResult) -> None:
        # The operators see it on the conversation (a note), the customer sees nothing half-said.
        message = Message.objects.filter(pk=delivery.payload["message_id"]).first()
        if message is not None:
            ConversationNote.objects.create(
                conversation_id=message.conversation_id,
                author=None,
                content=f"Your reply could not be sent by {delivery.payload['channel']}: {result.error}"[:2000],
            )


def operator_typing_push(*, conversation_id: str, operator, active: bool) -> None:
    """The holder's typing indicator on the customer's sockets (`typing` with `role: "operator"`
    and the name). Worthless later, so pushed at once, not stored; only the operator holding the
    conversation may show it (409 `handoff_assigned_to_other` otherwise)."""
    from core import realtime

    row = Conversation.objects.filter(pk=conversation_id).values("handling", "assignee_id", "last_seq").first()
    if row is None:
        raise NotFound("No such conversation.", code=ConversationErrorCode.CONVERSATION_NOT_FOUND)
    if row["handling"] != Handling.ASSIGNED or row["assignee_id"] != operator.pk:
        raise HandoffAssignedToOther("Only the operator holding the conversation shows as typing.")
    realtime.stream_now(
        realtime.conversation_group(conversation_id),
        {
            "type": "typing",
            "active": bool(active),
            "seq": row["last_seq"],
            "role": "operator",
            "name": operator_display_name(operator),
        },
    )
