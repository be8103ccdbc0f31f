"""What the operator inbox hears about conversations (`/ws/operators/`, group `operators`)."""

from conversations.error_codes import ConversationErrorCode
from conversations.models import Conversation, Message
from core import realtime
from core.exceptions import NotFound

PREVIEW_LENGTH = 200


def operator_conversation_event(*, conversation: Conversation, message: Message) -> dict:
    customer = conversation.customer
    return {
        "type": "operator.conversation",
        "conversation": {
            "id": conversation.id,
            "channel": conversation.channel,
            "status": conversation.status,
            "customer": {"name": customer.name, "email": customer.email, "phone": customer.phone},
            "lastMessage": {
                "id": message.id,
                "seq": message.seq,
                "role": message.role,
                "content": message.content[:PREVIEW_LENGTH],
                "createdAt": message.created_at.isoformat(),
            },
        },
    }


def operator_conversation_push(*, conversation: Conversation, message: Message) -> None:
    """On commit: tell the operators that a customer wrote (a new line in their inbox)."""
    realtime.send_event_on_commit(
        realtime.OPERATORS_GROUP, operator_conversation_event(conversation=conversation, message=message)
    )


def conversations_recent_for_operators(*, limit: int = 50) -> list[dict]:
    """Read side of the inbox: the conversations with the latest customer activity."""
    conversations = (
        Conversation.objects.select_related("customer")
        .exclude(last_message_at=None)
        .order_by("-last_message_at")[:limit]
    )
    out = []
    for conversation in conversations:
        last = Message.objects.filter(conversation=conversation).order_by("-seq").first()
        customer = conversation.customer
        out.append(
            {
                "id": conversation.id,
                "channel": conversation.channel,
                "status": conversation.status,
                "customer": {"name": customer.name, "email": customer.email, "phone": customer.phone},
                "lastMessage": {
                    "id": last.id,
                    "seq": last.seq,
                    "role": last.role,
                    "content": last.content[:PREVIEW_LENGTH],
                    "createdAt": last.created_at.isoformat(),
                }
                if last
                else None,
            }
        )
    return out


def conversation_for_operator(*, conversation_id: str) -> tuple[Conversation, list[dict]]:
    """A conversation and its messages (with their actions), as the customer sees them."""
    from conversations.selectors import messages_list
    from conversations.serializers import message_to_dict

    conversation = Conversation.objects.select_related("customer").filter(id=conversation_id).first()
    if conversation is None:
        raise NotFound("No such conversation.", code=ConversationErrorCode.CONVERSATION_NOT_FOUND)
    return conversation, [message_to_dict(m) for m in messages_list(conversation=conversation, limit=500)]
