from actions.models import Action
from actions.types import action_type_get, order_summary_get


def action_to_dict(action: Action) -> dict:
    """An action as the reply contract shows it (DESIGN.md)."""
    return {
        "id": action.id,
        "type": action.type,
        "label": action.label,
        "style": action.style,
        "payload": action.payload,
        "requiresConfirmation": action.requires_confirmation,
        "enabled": action.enabled,
        "status": action.status,
        "error": action.error,
        "result": action.result,  # what it came to (an order number, …), as `action.status` pushes it
    }


def action_status_event(action: Action) -> dict:
    return {
        "type": "action.status",
        "action_id": action.id,
        "status": action.status,
        "enabled": action.enabled,
        "error": action.error,
        "result": action.result,
    }


def operator_action_to_dict(action: Action) -> dict:
    """An action as the operator inbox shows it: what was asked (the type's name for operators,
    each payload field with its label, the customer's reason, the order it concerns), by whom,
    and where it stands; `fields` is also the edit form (the type's schema validates it back)."""
    customer = action.conversation.customer if action.conversation_id else None
    action_type = action_type_get(action.type)
    payload = action.payload or {}
    fields = (
        [{**field, "value": payload.get(field["name"], "")} for field in action_type.form_fields()]
        if action_type
        else []
    )
    return {
        "id": action.id,
        "type": action.type,
        "title": action_type.operator_title if action_type else action.type.replace("_", " ").capitalize(),
        "label": action.label,
        "payload": payload,
        "fields": fields,
        "reason": str(payload.get("reason", "")),
        "order": order_summary_get(
            order_number=str(payload.get("orderNumber", "")), conversation_id=action.conversation_id
        ),
        "changes": (action.result or {}).get("changes", ""),
        "originalPayload": (action.result or {}).get("original_payload"),
        "status": action.status,
        "enabled": action.enabled,
        "error": action.error,
        "conversationId": action.conversation_id,
        "channel": action.conversation.channel if action.conversation_id else "",
        "customer": {"name": customer.name, "email": customer.email, "phone": customer.phone} if customer else None,
        "decidedBy": action.decided_by.get_username() if action.decided_by_id else None,
        "decidedAt": action.decided_at.isoformat() if action.decided_at else None,
        "decisionNote": action.decision_note,
        "createdAt": action.created_at.isoformat() if action.created_at else None,
        "updatedAt": action.updated_at.isoformat() if action.updated_at else None,
    }


def operator_action_event(action: Action) -> dict:
    return {"type": "operator.action", "action": operator_action_to_dict(action)}
