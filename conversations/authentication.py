"""How REST callers prove they hold a conversation: `Authorization: Bearer <conversation token>`."""

from conversations.models import Conversation
from conversations.selectors import conversation_get_authorized


def bearer_token(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def conversation_from_request(request, conversation_id: str) -> Conversation:
    return conversation_get_authorized(conversation_id=conversation_id, token=bearer_token(request))


def action_from_request(request, action_id: str):
    """An action, for the holder of its conversation's token; anyone else learns nothing about it."""
    from actions.models import Action
    from core.exceptions import NotFound

    action = Action.objects.select_related("conversation").filter(id=action_id).first()
    if action is None:
        raise NotFound("No such action.", code="action_not_found")
    try:
        conversation_from_request(request, action.conversation_id)
    except Exception as exc:
        raise NotFound("No such action.", code="action_not_found") from exc
    return action
