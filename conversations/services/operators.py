"""What the operator inbox hears about conversations (`/ws/operators/`, group `operators`), and
how far each operator has read them."""

from django.db import transaction

from conversations.error_codes import ConversationErrorCode
from conversations.models import Conversation, ConversationRead, Message
from conversations.serializers import inbox_conversation_to_dict
from core import realtime
from core.exceptions import NotFound


def operator_conversation_event(*, conversation: Conversation, message: Message) -> dict:
    """A conversation's inbox line after a customer wrote; `unread` is left to each inbox (it is
    per operator): one more, unless that operator has the conversation open."""
    return {
        "type": "operator.conversation",
        "conversation": inbox_conversation_to_dict(conversation, last_message=message),
    }


def operator_conversation_push(*, conversation: Conversation, message: Message, as_locked: bool = False) -> None:
    """On commit: tell the operators that a customer wrote (a new line in their inbox), from the
    conversation as committed (who holds it may have changed since the caller read it).

    `as_locked`: `conversation` was read under its row lock in this transaction, with its
    customer and assignee, and nothing changes it before the commit: it is the row as committed,
    so the line is built from it rather than read back."""
    if as_locked:
        realtime.send_event_on_commit(
            realtime.OPERATORS_GROUP, operator_conversation_event(conversation=conversation, message=message)
        )
        return
    conversation_id = conversation.pk

    def event() -> dict | None:
        fresh = Conversation.objects.select_related("customer", "assignee").filter(pk=conversation_id).first()
        return operator_conversation_event(conversation=fresh, message=message) if fresh is not None else None

    realtime.send_event_on_commit(realtime.OPERATORS_GROUP, event)


@transaction.atomic
def conversation_read_mark(*, operator, conversation_id: str, seq: int | None = None) -> int:
    """The operator has read the conversation up to `seq` (default: all of it). Only ever moves
    forward (a late mark from another tab cannot bring back read messages). Returns the seq."""
    conversation = Conversation.objects.filter(pk=conversation_id).only("id", "last_seq").first()
    if conversation is None:
        raise NotFound("No such conversation.", code=ConversationErrorCode.CONVERSATION_NOT_FOUND)
    seq = conversation.last_seq if seq is None else max(0, min(seq, conversation.last_seq))
    marker, created = ConversationRead.objects.select_for_update().get_or_create(
        user=operator, conversation=conversation, defaults={"last_read_seq": seq}
    )
    if not created and marker.last_read_seq < seq:
        marker.last_read_seq = seq
        marker.save(update_fields=["last_read_seq", "updated_at"])
    return max(marker.last_read_seq, seq)


def conversation_for_operator(*, conversation_id: str) -> tuple[Conversation, list[dict]]:
    """A conversation and its messages (with their actions), as the customer sees them."""
    from conversations.selectors import messages_list
    from conversations.serializers import message_to_dict

    conversation = Conversation.objects.select_related("customer").filter(id=conversation_id).first()
    if conversation is None:
        raise NotFound("No such conversation.", code=ConversationErrorCode.CONVERSATION_NOT_FOUND)
    return conversation, [message_to_dict(m) for m in messages_list(conversation=conversation, limit=500)]
