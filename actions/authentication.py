"""An action, for the holder of its conversation's token (`Authorization: Bearer …`)."""

from actions.error_codes import ActionErrorCode
from actions.models import Action
from core.authentication import conversation_from_request
from core.exceptions import NotFound


def action_from_request(request, action_id: str) -> Action:
    """The action; anyone without its conversation's token learns nothing about it (404)."""
    action = Action.objects.select_related("conversation").filter(id=action_id).first()
    if action is None:
        raise NotFound("No such action.", code=ActionErrorCode.ACTION_NOT_FOUND)
    try:
        conversation_from_request(request, action.conversation_id)
    except Exception as exc:
        raise NotFound("No such action.", code=ActionErrorCode.ACTION_NOT_FOUND) from exc
    return action
