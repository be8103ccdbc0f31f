from actions.error_codes import ActionErrorCode
from actions.models import Action
from core.exceptions import NotFound


def action_get_for_conversation(*, action_id: str, conversation_id: str) -> Action:
    """The action, only if it belongs to this conversation: another conversation's id is simply unknown."""
    action = Action.objects.select_related("conversation").filter(id=action_id).first()
    if action is None or action.conversation_id != conversation_id:
        raise NotFound("No such action in this conversation.", code=ActionErrorCode.ACTION_NOT_FOUND)
    return action


def actions_pending_list(*, limit: int = 200) -> list[Action]:
    """The operator inbox: actions waiting for a decision, oldest first."""
    from actions.enums import ActionStatus

    return list(
        Action.objects.filter(status=ActionStatus.PENDING_APPROVAL)
        .select_related("conversation__customer", "decided_by")
        .order_by("updated_at", "id")[:limit]
    )


def actions_pending_count() -> int:
    """How many actions wait for an operator's decision (the admin's landing page and sidebar)."""
    from actions.enums import ActionStatus

    return Action.objects.filter(status=ActionStatus.PENDING_APPROVAL).count()


def actions_recently_decided_list(*, limit: int = 20) -> list[Action]:
    """What operators decided last, newest first: the inbox's "Recently decided", the same after
    a reload or on another operator's screen (read from the decisions, not kept by a page)."""
    return list(
        Action.objects.filter(decided_at__isnull=False)
        .select_related("conversation__customer", "decided_by")
        .order_by("-decided_at", "-id")[:limit]
    )


def action_get(*, action_id: str) -> Action:
    action = Action.objects.select_related("conversation__customer", "decided_by").filter(id=action_id).first()
    if action is None:
        raise NotFound("No such action.", code=ActionErrorCode.ACTION_NOT_FOUND)
    return action
