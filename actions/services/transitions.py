"""Moving an action from one status to the next (checked against `actions/state_machine.py`):
the transition row, telemetry, and the live pushes to the conversation and the operator inbox."""

import logging
import time

from django.db import transaction
from django.utils import timezone

from actions.enums import ActionStatus, ActorKind
from actions.error_codes import ActionErrorCode
from actions.exceptions import ActionNotAllowed
from actions.models import Action, ActionTransition
from actions.serializers import action_status_event, operator_action_event
from actions.state_machine import can_transition
from actions.types import action_type_get
from analytics.enums import EventName
from analytics.services import event_record
from core import realtime

logger = logging.getLogger(__name__)

_TELEMETRY = {
    ActionStatus.RENDERED: EventName.ACTION_RENDERED,
    ActionStatus.CLICKED: EventName.ACTION_CLICKED,
    ActionStatus.SUCCEEDED: EventName.ACTION_SUCCEEDED,
    ActionStatus.FAILED: EventName.ACTION_FAILED,
}


@transaction.atomic
def action_transition(
    *,
    action: Action,
    to_status: str,
    actor_kind: str = ActorKind.SYSTEM,
    actor=None,
    note: str = "",
    enabled: bool | None = None,
    error: str = "",
    result: dict | None = None,
) -> Action:
    """Move an action to `to_status`, record who did it, push it live, count it.

    The row is locked so two concurrent transitions cannot both start from the same status.
    """
    locked = Action.objects.select_for_update().get(pk=action.pk)
    action_transition_locked(
        locked=locked,
        to_status=to_status,
        actor_kind=actor_kind,
        actor=actor,
        note=note,
        enabled=enabled,
        error=error,
        result=result,
    )
    # Keep the caller's instance in step with the database.
    for field in ("status", "error", "enabled", "result", "decided_by_id", "decided_at", "updated_at"):
        setattr(action, field, getattr(locked, field))
    return action


def action_transition_locked(
    *,
    locked: Action,
    to_status: str,
    actor_kind: str = ActorKind.SYSTEM,
    actor=None,
    note: str = "",
    enabled: bool | None = None,
    error: str = "",
    result: dict | None = None,
    also: dict | None = None,
    seq: int | None = None,
) -> Action:
    """`action_transition` on a row the caller locked (`select_for_update`) in the transaction it
    holds: no lock or savepoint of its own. `also`: more fields (already set on `locked`)
    written by the same UPDATE. `seq`: the conversation seq the push carries, when the caller
    read it with the row (else it is read after commit)."""
    if not can_transition(locked.status, to_status):
        raise ActionNotAllowed(
            f"This action is {locked.get_status_display().lower()} and cannot become {to_status}.",
            code=ActionErrorCode.ILLEGAL_TRANSITION,
        )
    from_status = locked.status
    locked.status = to_status
    locked.error = error[:500]
    if enabled is not None:
        locked.enabled = enabled
    if result is not None:
        locked.result = result
    if actor_kind == ActorKind.OPERATOR:
        locked.decided_by = actor
        locked.decided_at = timezone.now()
    locked.save(
        update_fields=[
            "status",
            "error",
            "enabled",
            "result",
            "decided_by",
            "decided_at",
            "updated_at",
            *(also or ()),
        ]
    )
    ActionTransition.objects.create(
        action=locked, from_status=from_status, to_status=to_status, actor_kind=actor_kind, actor=actor, note=note[:500]
    )
    action_status_push(action=locked, seq=seq)
    if to_status in _TELEMETRY:
        event_record(
            name=_TELEMETRY[to_status],
            conversation_id=locked.conversation_id,
            action_type=locked.type,
            ps_number=locked.payload.get("psNumber", ""),
            model_number=locked.payload.get("modelNumber", ""),
            properties={"error": error} if error else None,
        )
    return locked


# Statuses the operator inbox cares about for operator-decided types.
_OPERATOR_STATUSES = frozenset(
    {
        ActionStatus.PENDING_APPROVAL,
        ActionStatus.APPROVED,
        ActionStatus.DENIED,
        ActionStatus.EDITED,
        ActionStatus.SUCCEEDED,
        ActionStatus.FAILED,
        ActionStatus.EXPIRED,
    }
)


def action_status_push(*, action: Action, seq: int | None = None) -> None:
    """On commit: `action.status` to the conversation's sockets, then `operator.action` to the
    inbox (the customer's push first: one publisher queue keeps that order).

    The event carries `committed_at` (epoch milliseconds, taken in the on-commit callback), so
    a client can measure the delay from the decision's commit to its screen, and the `seq` of
    the message the action belongs to (a client without it fetches what it missed): `seq` when
    the caller read it with the locked row, else read after commit. The inbox's event is
    rendered from `action` as written (the decider, the customer and the conversation in hand
    when the caller selected them; read after commit otherwise).
    """
    event = action_status_event(action)
    action_id = action.pk

    def status_event() -> dict:
        if seq is None:
            seqs = Action.objects.filter(pk=action_id).values_list("message__seq", "conversation__last_seq").first()
            message_seq, last_seq = seqs or (None, 0)
            event_seq = message_seq if message_seq is not None else last_seq
        else:
            event_seq = seq
        return {**event, "seq": event_seq, "committed_at": round(time.time() * 1000, 3)}

    realtime.send_event_on_commit(realtime.conversation_group(action.conversation_id), status_event)
    action_type = action_type_get(action.type)
    if action_type is not None and action_type.needs_operator and action.status in _OPERATOR_STATUSES:
        in_hand = _relations_in_hand(action)

        def operator_event() -> dict | None:
            if in_hand:
                return operator_action_event(action)
            fresh = Action.objects.select_related("conversation__customer", "decided_by").filter(pk=action_id).first()
            return operator_action_event(fresh) if fresh is not None else None

        realtime.send_event_on_commit(realtime.OPERATORS_GROUP, operator_event)


def _relations_in_hand(action: Action) -> bool:
    """Whether the inbox's rendering of `action` needs no query: its conversation and customer
    were selected with it, and its decider (if any) is set on it."""
    state = action._state.fields_cache
    conversation = state.get("conversation")
    return (
        conversation is not None
        and "customer" in conversation._state.fields_cache
        and (action.decided_by_id is None or "decided_by" in state)
    )
