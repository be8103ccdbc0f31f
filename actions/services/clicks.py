from django.db import transaction

from actions.enums import ActionStatus, ActorKind
from actions.error_codes import ActionErrorCode
from actions.exceptions import ActionNotAllowed
from actions.models import Action
from actions.services.transitions import action_transition
from actions.state_machine import CLICKABLE
from actions.types import action_type_get


@transaction.atomic
def action_click(*, action: Action) -> Action:
    """The customer pressed the button. Pressing it again while it is in flight changes nothing.

    The status is read under the row lock: a click on the socket and the API call it leads to
    may arrive together. An operator-decided type (`refund_request`, …) goes on at once from
    `clicked` to `pending_approval`: the click is the customer's request, and the operator
    inbox hears of it when this commits.
    """
    current = Action.objects.select_for_update().values_list("status", "enabled").get(pk=action.pk)
    action.status, action.enabled = current
    action_type = action_type_get(action.type)
    needs_operator = action_type is not None and action_type.needs_operator
    if action.status == ActionStatus.CLICKED or (needs_operator and action.status == ActionStatus.PENDING_APPROVAL):
        return action
    if action.status not in CLICKABLE or not action.enabled:
        raise ActionNotAllowed("This button can no longer be used.", code=ActionErrorCode.ACTION_NOT_CLICKABLE)
    action = action_transition(action=action, to_status=ActionStatus.CLICKED, actor_kind=ActorKind.CUSTOMER)
    if action_type is not None:
        action = action_type.on_clicked(action=action) or action
    if needs_operator:
        action = action_transition(
            action=action,
            to_status=ActionStatus.PENDING_APPROVAL,
            actor_kind=ActorKind.CUSTOMER,
            enabled=False,
            note="waiting for an operator",
        )
    return action
