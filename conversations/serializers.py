from actions.serializers import action_to_dict
from conversations.models import Conversation, Message

INBOX_PREVIEW_LENGTH = 200


def message_to_dict(message: Message) -> dict:
    """A message as the reply contract shows it (DESIGN.md); internal metadata stays inside.
    An operator's message (`role: "operator"`) names them: `operator: {"name": …}` (None otherwise)."""
    out = {
        "id": message.id,
        "seq": message.seq,
        "role": message.role,
        "type": message.message_type,
        "content": message.content,
        "parts": message.parts,
        "actions": [action_to_dict(action) for action in message.actions.all()],
        "createdAt": message.created_at.isoformat(),
        "operator": {"name": message.metadata.get("operator_name") or "Our team"}
        if message.role == "operator"
        else None,
    }
    note = message.metadata.get("whatsapp") if isinstance(message.metadata, dict) else None
    if note:  # where a WhatsApp message stands (Meta's status callbacks): for the operator inbox
        out["delivery"] = {"channel": "whatsapp", **note}
    return out


def inbox_customer_to_dict(customer) -> dict:
    return {"id": customer.id, "name": customer.name, "email": customer.email, "phone": customer.phone}


def inbox_conversation_to_dict(conversation: Conversation, *, last_message: Message | None = None) -> dict:
    """A line of the operator inbox: who, where, when, who answers, what was said last and how
    much of it this operator has not read. From `inbox_conversations_list`'s annotations, or for
    a live push from the message just written (`unread` is then `null`: it is each operator's)."""
    from conversations.selectors import operator_display_name

    if last_message is not None:
        last_id, seq, role = last_message.id, last_message.seq, last_message.role
        content, created_at, unread = last_message.content, last_message.created_at, None
    else:
        last_id, seq, role = conversation.last_id, conversation.last_seq_shown, conversation.last_role
        content, created_at, unread = conversation.last_content, conversation.last_created_at, conversation.unread
    assignee = conversation.assignee if conversation.assignee_id else None
    return {
        "id": conversation.id,
        "channel": conversation.channel,
        "channelLabel": conversation.get_channel_display(),
        "status": conversation.status,
        "handling": conversation.handling,
        "assignee": {"id": assignee.pk, "name": operator_display_name(assignee)} if assignee else None,
        "customer": inbox_customer_to_dict(conversation.customer),
        "lastMessageAt": conversation.last_message_at.isoformat() if conversation.last_message_at else None,
        "lastMessage": {
            "id": last_id,
            "seq": seq,
            "role": role,
            "content": (content or "")[:INBOX_PREVIEW_LENGTH],
            "createdAt": created_at.isoformat() if created_at else None,
        }
        if last_id
        else None,
        "unread": unread,
    }
