from actions.models import Action
from core.exceptions import NotFound


def action_get_for_conversation(*, action_id: str, conversation_id: str) -> Action:
    """The action, only if it belongs to this conversation: another conversation's id is simply unknown."""
    action = Action.objects.select_related("conversation").filter(id=action_id).first()
    if action is None or action.conversation_id != conversation_id:
        raise NotFound("No such action in this conversation.", code="action_not_found")
    return action
