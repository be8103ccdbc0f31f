from django.db import transaction

from actions.enums import ActionStatus, ActorKind
from actions.error_codes import ActionErrorCode
from actions.exceptions import ActionNotAllowed
from actions.models import Action
from actions.services.transitions import action_transition
from actions.state_machine import CLICKABLE, can_transition
from actions.types import action_type_get
from core.exceptions import ApplicationError


def action_click(*, action: Action) -> Action:
    """The customer pressed the button. Pressing it again while it is in flight changes nothing.

    The status is read under the row lock: a click on the socket and the API call it leads to
    may arrive together. An operator-decided type (`refund_request`, …) goes on at once from
    `clicked` to `pending_approval`: the click is the customer's request, and the operator
    inbox hears of it when this commits. A request its type refuses as things now stand (a
    refund for an order refunded in full since the button was shown) is not sent to anyone:
    the button fails, disabled, with the reason (kept), and the press is answered with the
    type's error code.
    """
    with transaction.atomic():
        action, refusal = _click(action)
    if refusal is not None:
        raise refusal
    return action


def _click(action: Action) -> tuple[Action, ApplicationError | None]:
    current = Action.objects.select_for_update().values_list("status", "enabled").get(pk=action.pk)
    action.status, action.enabled = current
    action_type = action_type_get(action.type)
    needs_operator = action_type is not None and action_type.needs_operator
    if action.status == ActionStatus.CLICKED or (needs_operator and action.status == ActionStatus.PENDING_APPROVAL):
        return action, None
    if needs_operator and action.status in CLICKABLE and action.enabled:
        refusal = action_type.refusal(action=action, payload=action.payload)
        if refusal is not None:
            if can_transition(action.status, ActionStatus.FAILED):
                action_transition(
                    action=action,
                    to_status=ActionStatus.FAILED,
                    actor_kind=ActorKind.CUSTOMER,
                    enabled=False,
                    error=str(refusal.detail),
                    note=str(refusal.code),
                )
            return action, refusal
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
    return action, None
