"""Operator decisions on pending actions (seeds/001): applied once, answered on commit."""

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef

from actions.enums import ActionStatus, ActorKind
from actions.error_codes import ActionErrorCode
from actions.exceptions import ActionAlreadyDecided, ActionError, ActionNotAllowed, OperatorRequired
from actions.models import Action, ActionResponse
from actions.selectors import action_get
from actions.services.responses import action_response_enqueue
from actions.services.transitions import action_transition_locked
from actions.types import action_type_get
from core.exceptions import NotFound

DECISIONS = (ActionStatus.APPROVED, ActionStatus.DENIED, ActionStatus.EDITED)
REPLY_MAX_LENGTH = 2000


def response_idempotency_key(*, action: Action, decision: str) -> str:
    """One response per decision; an action is decided once, so this is one per action."""
    return f"action-response:{action.pk}:{decision}"


def _check_operator(operator) -> None:
    if operator is None or not getattr(operator, "is_authenticated", False) or not operator.is_staff:
        raise OperatorRequired("Only staff can decide actions.")
    if not operator.is_active:
        raise OperatorRequired("This account is inactive.")


def _clean_edited_payload(action: Action, edited_payload) -> dict:
    action_type = action_type_get(action.type)
    if not isinstance(edited_payload, dict) or not edited_payload:
        raise ActionError(
            "An edited decision needs the edited payload.",
            code=ActionErrorCode.EDITED_PAYLOAD_REQUIRED,
            fields={"payload": ["Required when the decision is edited."]},
        )
    if action_type is None:
        raise ActionError(
            "This action type cannot be edited.",
            code=ActionErrorCode.EDITED_PAYLOAD_INVALID,
            fields={"payload": ["Unknown action type."]},
        )
    unknown = set(edited_payload) - set(action_type.Payload().fields)
    if unknown:
        raise ActionError(
            "The edited payload does not fit this action type.",
            code=ActionErrorCode.EDITED_PAYLOAD_INVALID,
            fields={"payload": [f"Unknown keys: {sorted(unknown)}."]},
        )
    serializer = action_type.Payload(data=edited_payload)
    if not serializer.is_valid():
        # Per field, so the inbox's edit form shows each message beside its own input.
        raise ActionError(
            "The edited request does not fit this action type.",
            code=ActionErrorCode.EDITED_PAYLOAD_INVALID,
            fields={name: [str(m) for m in messages] for name, messages in serializer.errors.items()},
        )
    return action_type.clean_payload(edited_payload)


def action_feedback_apply(
    *,
    action: Action | None = None,
    action_id: str | None = None,
    decision: str,
    operator,
    reply_text: str = "",
    edited_payload: dict | None = None,
) -> Action:
    """An operator approves, denies or edits a pending action (`action`, or `action_id`). Exactly once.

    Under the action's row lock: the transition (pending_approval → decision) with the operator
    and time, the reply text as the decision note, the edited payload, and a pending
    `ActionResponse` with its outbox delivery (keyed per decision) all commit together. On
    commit the outbox tells the customer (actions/services/responses.py); if that enqueue is
    ever lost, the outbox's reconcile beat finds the pending delivery. A second or concurrent
    decision gets 409
    `action_already_decided`; nothing else changes. An approval (or edit) the type refuses as
    things stand (`ActionType.refusal`, e.g. the order was refunded in full meanwhile) changes
    nothing either and answers with the type's code; an edit's `result["changes"]` says what
    the customer is told changed.

    Returns the action as written, with its conversation, customer and decider in hand (the
    inbox's rendering of it needs no query). The decision costs one locking read and four
    writes: the action, its transition, the delivery and the response. Where tasks run in
    place (`CELERY_TASK_ALWAYS_EAGER`: the embedded default, the unit tests) the customer was
    answered on commit and the action moved on, so it is read back as it now stands.
    """
    with transaction.atomic():
        locked = _decide(
            action=action,
            action_id=action_id,
            decision=decision,
            operator=operator,
            reply_text=reply_text,
            edited_payload=edited_payload,
        )
    if settings.CELERY_TASK_ALWAYS_EAGER and not transaction.get_connection().in_atomic_block:
        return action_get(action_id=locked.pk)
    return locked


def _decide(*, action, action_id, decision, operator, reply_text, edited_payload) -> Action:
    _check_operator(operator)
    if decision not in DECISIONS:
        raise ActionError(
            f"The decision must be one of {', '.join(DECISIONS)}.",
            code=ActionErrorCode.DECISION_INVALID,
            fields={"decision": [f"One of {', '.join(DECISIONS)}."]},
        )
    if not isinstance(reply_text, str) or len(reply_text) > REPLY_MAX_LENGTH:
        raise ActionError(
            f"The reply is at most {REPLY_MAX_LENGTH} characters.",
            code=ActionErrorCode.REPLY_INVALID,
            fields={"reply_text": [f"At most {REPLY_MAX_LENGTH} characters."]},
        )
    reply_text = reply_text.replace("\x00", "").strip()

    locked = (
        Action.objects.select_for_update(of=("self",))
        .select_related("conversation__customer", "message")
        .annotate(answered=Exists(ActionResponse.objects.filter(action=OuterRef("pk"))))
        .filter(pk=action.pk if action is not None else action_id)
        .first()
    )
    if locked is None:
        raise NotFound("No such action.", code=ActionErrorCode.ACTION_NOT_FOUND)
    if locked.status in DECISIONS or locked.decided_at is not None or locked.answered:
        raise ActionAlreadyDecided(
            f"This action was already decided ({locked.get_status_display().lower()}).",
            fields={"status": [locked.status]},
        )
    if locked.status != ActionStatus.PENDING_APPROVAL:
        raise ActionNotAllowed(
            f"This action is {locked.get_status_display().lower()}, not waiting for a decision.",
            code=ActionErrorCode.ACTION_NOT_PENDING,
        )
    updates = {"decision_note": reply_text}
    action_type = action_type_get(locked.type)
    payload = locked.payload
    if decision == ActionStatus.EDITED:
        payload = _clean_edited_payload(locked, edited_payload)
        updates["payload"] = payload
        changes = action_type.change_text(action=locked, before=locked.payload, after=payload)
        updates["result"] = {**locked.result, "original_payload": locked.payload, "changes": changes}
    elif edited_payload:
        raise ActionError(
            "A payload is only accepted with the edited decision.",
            code=ActionErrorCode.PAYLOAD_NOT_ALLOWED,
            fields={"payload": ["Only with decision=edited."]},
        )
    if decision != ActionStatus.DENIED and action_type is not None:
        # Approving what can no longer be done (an order refunded in full meanwhile) is refused
        # here, with the type's code, rather than approved and then failed; denying always works.
        problem = action_type.refusal(action=locked, payload=payload)
        if problem is not None:
            raise problem
    for field, value in updates.items():
        setattr(locked, field, value)
    # The seq the push carries, read with the row: the action's message, else the latest one.
    seq = locked.message.seq if locked.message_id is not None else locked.conversation.last_seq
    action_transition_locked(
        locked=locked,
        to_status=decision,
        actor_kind=ActorKind.OPERATOR,
        actor=operator,
        note=reply_text,
        enabled=False,
        result=updates.get("result"),
        also=[field for field in updates if field != "result"],
        seq=seq,
    )
    action_response_enqueue(
        action=locked,
        outcome=decision,
        channel=locked.conversation.channel,
        key=response_idempotency_key(action=locked, decision=decision),
    )
    if action is not None:
        # Keep the caller's instance in step with the database.
        for field in (*updates, "status", "error", "enabled", "decided_by_id", "decided_at", "updated_at"):
            setattr(action, field, getattr(locked, field))
    return locked
