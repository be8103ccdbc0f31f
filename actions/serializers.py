from actions.models import Action


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
