from django.db import transaction

from actions.enums import ActionStatus, ActorKind
from actions.exceptions import ActionNotAllowed
from actions.lifecycle import CLICKABLE
from actions.models import Action
from actions.services.lifecycle import action_transition


@transaction.atomic
def action_click(*, action: Action) -> Action:
    """The customer pressed the button. Pressing it again while it is in flight changes nothing.

    The status is read under the row lock: a click on the socket and the API call it leads to
    may arrive together.
    """
    current = Action.objects.select_for_update().values_list("status", "enabled").get(pk=action.pk)
    action.status, action.enabled = current
    if action.status == ActionStatus.CLICKED:
        return action
    if action.status not in CLICKABLE or not action.enabled:
        raise ActionNotAllowed("This button can no longer be used.", code="action_not_clickable")
    return action_transition(action=action, to_status=ActionStatus.CLICKED, actor_kind=ActorKind.CUSTOMER)
