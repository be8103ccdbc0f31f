from actions.serializers import action_to_dict
from conversations.models import Message


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
