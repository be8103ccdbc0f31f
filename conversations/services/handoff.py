"""A person takes over: the conversation's handling, one transition at a time.

    bot ──request──▶ waiting_for_human ──claim/assign──▶ assigned ──resolve──▶ resolved
     │                    ▲      │                        │  ▲ │ (assign: another operator)
     └──claim (takeover)──┼──────┼───────────────────────▶┘  │ └─unassign─▶ waiting_for_human
                          │      └────────resolve───────────────────────────▶ resolved
    resolved ──request──▶ waiting_for_human;  resolved ──reopen / claim──▶ assigned

Every transition runs in one transaction holding the conversation's row lock (the same lock
`conversation_message_create` takes, so a transition and a message are ordered), re-reads the
handling under it, and writes the new one with a conditional UPDATE on the handling it read:
of two operators claiming at once exactly one wins; the other gets 409
`handoff_assigned_to_other`. Each transition writes a `HandoffTransition` (the audit trail),
a notice in the chat ("Dana joined the conversation"), and, on commit, a `handoff` frame to
the customer's sockets and an `operator.handoff` frame to the inbox. Telemetry events feed the
dashboard's first-response time, time to resolve and CSAT (analytics/selectors/handoff.py).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from actions.enums import ActorKind
from analytics.enums import EventName
from analytics.services import event_record
from conversations.enums import Handling, HandoffReason, MessageType, Role
from conversations.error_codes import ConversationErrorCode
from conversations.models import Conversation, Handoff, HandoffTransition
from conversations.selectors import (
    handoff_open_get,
    handoff_operator_dict,
    handoff_public_dict,
    operator_display_name,
)
from conversations.services.messages import conversation_message_create
from conversations.shop_hours import shop_is_open, shop_next_opening_text
from core import realtime
from core.exceptions import ApplicationError, Conflict, NotFound

# Which handling may follow which (the table the services below enforce).
ALLOWED: dict[str, frozenset[str]] = {
    Handling.BOT: frozenset({Handling.WAITING_FOR_HUMAN, Handling.ASSIGNED}),
    Handling.WAITING_FOR_HUMAN: frozenset({Handling.ASSIGNED, Handling.RESOLVED}),
    Handling.ASSIGNED: frozenset({Handling.ASSIGNED, Handling.WAITING_FOR_HUMAN, Handling.RESOLVED}),
    Handling.RESOLVED: frozenset({Handling.WAITING_FOR_HUMAN, Handling.ASSIGNED}),
}
# While a person is asked for or holds the conversation, the assistant says nothing.
HUMAN_HOLDS = frozenset({Handling.WAITING_FOR_HUMAN, Handling.ASSIGNED})

RATING_COMMENT_MAX = 1000


class HandoffTransitionInvalid(Conflict):
    code = ConversationErrorCode.HANDOFF_TRANSITION_INVALID


class HandoffAssignedToOther(Conflict):
    code = ConversationErrorCode.HANDOFF_ASSIGNED_TO_OTHER


def conversation_lock(conversation_id: str) -> Conversation:
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise NotFound("No such conversation.", code=ConversationErrorCode.CONVERSATION_NOT_FOUND)
    return conversation


def _check(conversation: Conversation, to_state: str) -> None:
    if to_state not in ALLOWED[conversation.handling]:
        raise HandoffTransitionInvalid(
            f"The conversation is {Handling(conversation.handling).label.lower()}; it cannot become "
            f"{Handling(to_state).label.lower()}.",
            fields={"handling": [conversation.handling]},
        )


def _move(
    *,
    conversation: Conversation,
    handoff: Handoff,
    to_state: str,
    operator,
    actor,
    actor_kind: str,
    notice: str,
    note: str = "",
) -> None:
    """Write the transition: the conditional UPDATE, the audit row, the notice, the frames."""
    _check(conversation, to_state)
    from_state = conversation.handling
    now = timezone.now()
    changed = Conversation.objects.filter(
        pk=conversation.pk, handling=from_state, assignee_id=conversation.assignee_id
    ).update(handling=to_state, assignee=operator, updated_at=now)
    if changed != 1:  # the row lock makes this unreachable on PostgreSQL; SQLite has no row locks
        raise HandoffTransitionInvalid("Someone else changed this conversation at the same moment; try again.")
    conversation.handling, conversation.assignee = to_state, operator
    HandoffTransition.objects.create(
        handoff=handoff,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        actor_kind=actor_kind,
        operator=operator,
        note=note[:200],
    )
    conversation_message_create(
        conversation=conversation,
        role=Role.INTERNAL,
        message_type=MessageType.HANDOFF,
        content=notice,
        metadata={
            "handoff_id": handoff.pk,
            "handling": to_state,
            **({"operator_name": operator_display_name(operator)} if operator is not None else {}),
        },
    )
    handoff_frames_push(conversation_id=conversation.pk)


def handoff_frames_push(*, conversation_id: str) -> None:
    """On commit: the customer's sockets get `handoff` (who answers now), the inbox `operator.handoff`."""

    def customer_frame() -> dict | None:
        conversation = Conversation.objects.select_related("assignee").filter(pk=conversation_id).first()
        if conversation is None:
            return None
        return {"type": "handoff", "seq": conversation.last_seq, "handoff": handoff_public_dict(conversation)}

    def operator_frame() -> dict | None:
        conversation = Conversation.objects.select_related("assignee", "customer").filter(pk=conversation_id).first()
        if conversation is None:
            return None
        return {
            "type": "operator.handoff",
            "conversationId": conversation_id,
            "handoff": handoff_operator_dict(conversation),
        }

    realtime.send_event_on_commit(realtime.conversation_group(conversation_id), customer_frame)
    realtime.send_event_on_commit(realtime.OPERATORS_GROUP, operator_frame)


def _event(name: str, handoff: Handoff, key: str, **properties) -> None:
    # Keyed by the handoff, so a repeated service call never counts twice.
    event_record(
        name=name,
        conversation_id=handoff.conversation_id,
        properties={"handoff_id": handoff.pk, **properties},
        event_id=f"{handoff.pk}:{key}",
    )


def _staff(user_id) -> object:
    user = get_user_model().objects.filter(pk=user_id, is_staff=True, is_active=True).first() if user_id else None
    if user is None:
        raise NotFound("No active operator with that id.", code=ConversationErrorCode.OPERATOR_NOT_FOUND)
    return user


# --- the customer (or the assistant on their behalf) asks for a person -----------------------


@transaction.atomic
def handoff_request(
    *,
    conversation: Conversation,
    reason: str = HandoffReason.CUSTOMER_ASKED,
    requested_by: str = ActorKind.CUSTOMER,
    note: str = "",
    now: datetime | None = None,
) -> Handoff:
    """Ask for a person. Asking again while one is asked for (or holds it) is the same request.

    Outside shop hours the request still waits in the inbox; the customer is told when someone
    will answer and that the answer can go to their email (`handoff_contact_set`)."""
    locked = conversation_lock(conversation.pk)
    if locked.handling in HUMAN_HOLDS:
        return handoff_open_get(conversation_id=locked.pk)
    now = now or timezone.now()
    after_hours = not shop_is_open(now=now)
    email = locked.customer.email
    handoff = Handoff.objects.create(
        conversation=locked,
        reason=reason,
        requested_by=requested_by,
        requested_at=now,
        after_hours=after_hours,
        notify_email=email if after_hours else "",
    )
    if not after_hours:
        notice = "I've asked a member of our team to join. They'll be with you here shortly."
    else:
        notice = f"Our team is away right now; someone will answer {shop_next_opening_text(now=now)}. " + (
            f"We'll also send the answer to {email}."
            if email
            else "Leave your email and we'll send the answer there too."
        )
    _move(
        conversation=locked,
        handoff=handoff,
        to_state=Handling.WAITING_FOR_HUMAN,
        operator=None,
        actor=None,
        actor_kind=requested_by,
        notice=notice,
        note=note or HandoffReason(reason).label,
    )
    conversation.handling, conversation.assignee = locked.handling, None
    _event(EventName.HANDOFF_REQUESTED, handoff, "requested", reason=reason, after_hours=after_hours)
    return handoff


@transaction.atomic
def handoff_contact_set(*, conversation: Conversation, email: str) -> Handoff:
    """The customer leaves an email for an answer given outside shop hours (the open handoff's)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(
            "That is not an email address.",
            code=ConversationErrorCode.HANDOFF_CONTACT_INVALID,
            fields={"email": ["Enter a valid email address."]},
        ) from None
    locked = conversation_lock(conversation.pk)
    handoff = handoff_open_get(conversation_id=locked.pk)
    if handoff is None:
        raise HandoffTransitionInvalid("Nobody from the team has been asked for in this conversation.")
    handoff.notify_email = email[:254]
    handoff.save(update_fields=["notify_email", "updated_at"])
    if not locked.customer.email:
        type(locked.customer).objects.filter(pk=locked.customer_id).update(email=email[:254])
    conversation_message_create(
        conversation=locked,
        role=Role.INTERNAL,
        message_type=MessageType.HANDOFF,
        content=f"Thanks! We'll send the answer to {email} too.",
        metadata={"handoff_id": handoff.pk, "handling": locked.handling},
    )
    handoff_frames_push(conversation_id=locked.pk)
    return handoff


# --- operators ---------------------------------------------------------------------------------


def handoff_assign_locked(*, conversation: Conversation, operator, actor, note: str = "") -> Handoff:
    """To `operator`, from any handling that allows it; a conversation the assistant was holding
    gets a new handoff (an operator's takeover)."""
    _check(conversation, Handling.ASSIGNED)
    now = timezone.now()
    handoff = handoff_open_get(conversation_id=conversation.pk)
    if handoff is None:
        handoff = Handoff.objects.create(
            conversation=conversation,
            reason=HandoffReason.OPERATOR_TAKEOVER,
            requested_by=ActorKind.OPERATOR,
            requested_at=now,
        )
    previous = conversation.assignee_id
    handoff.operator = operator
    if handoff.assigned_at is None:
        handoff.assigned_at = now
    handoff.save(update_fields=["operator", "assigned_at", "updated_at"])
    name = operator_display_name(operator)
    _move(
        conversation=conversation,
        handoff=handoff,
        to_state=Handling.ASSIGNED,
        operator=operator,
        actor=actor,
        actor_kind=ActorKind.OPERATOR,
        notice=f"{name} from our team joined the conversation.",
        note=note,
    )
    if previous != operator.pk:
        _event(
            EventName.HANDOFF_ASSIGNED,
            handoff,
            f"assigned:{operator.pk}:{now.timestamp()}",
            operator_id=operator.pk,
            operator_name=name,
            seconds_waited=(now - handoff.requested_at).total_seconds(),
        )
    return handoff


@transaction.atomic
def handoff_claim(*, conversation_id: str, operator) -> Handoff:
    """The operator takes the conversation. Claiming it again is a no-op; claiming one another
    operator holds is refused (409 `handoff_assigned_to_other`): use `handoff_assign` to move it."""
    conversation = conversation_lock(conversation_id)
    # (An assigned conversation whose operator account was deleted has no assignee: anyone may take it.)
    if conversation.handling == Handling.ASSIGNED and conversation.assignee_id is not None:
        if conversation.assignee_id == operator.pk:
            return handoff_open_get(conversation_id=conversation.pk)
        raise HandoffAssignedToOther(
            f"{operator_display_name(conversation.assignee)} already has this conversation.",
            fields={"assignee": [operator_display_name(conversation.assignee)]},
        )
    return handoff_assign_locked(conversation=conversation, operator=operator, actor=operator, note="claimed")


@transaction.atomic
def handoff_assign(*, conversation_id: str, operator_id, actor) -> Handoff:
    """Give the conversation to an operator (any active staff user), from whoever holds it."""
    operator = _staff(operator_id)
    conversation = conversation_lock(conversation_id)
    if conversation.handling == Handling.ASSIGNED and conversation.assignee_id == operator.pk:
        return handoff_open_get(conversation_id=conversation.pk)
    return handoff_assign_locked(
        conversation=conversation, operator=operator, actor=actor, note=f"assigned by {actor.pk}"
    )


@transaction.atomic
def handoff_unassign(*, conversation_id: str, actor) -> Handoff:
    """Back to the queue: waiting for a person again (the assistant stays silent)."""
    conversation = conversation_lock(conversation_id)
    if conversation.handling != Handling.ASSIGNED:
        raise HandoffTransitionInvalid("Nobody holds this conversation.", fields={"handling": [conversation.handling]})
    handoff = handoff_open_get(conversation_id=conversation.pk)
    name = operator_display_name(conversation.assignee)
    _move(
        conversation=conversation,
        handoff=handoff,
        to_state=Handling.WAITING_FOR_HUMAN,
        operator=None,
        actor=actor,
        actor_kind=ActorKind.OPERATOR,
        notice=f"{name} handed the conversation on; another member of our team will be with you.",
    )
    return handoff


@transaction.atomic
def handoff_resolve(*, conversation_id: str, actor) -> Handoff:
    """The person is done: the assistant answers again, and the customer may rate the help."""
    conversation = conversation_lock(conversation_id)
    _check(conversation, Handling.RESOLVED)
    handoff = handoff_open_get(conversation_id=conversation.pk)
    now = timezone.now()
    handoff.resolved_at, handoff.resolved_by = now, actor
    if handoff.operator_id is None:
        handoff.operator = actor
    handoff.save(update_fields=["resolved_at", "resolved_by", "operator", "updated_at"])
    _move(
        conversation=conversation,
        handoff=handoff,
        to_state=Handling.RESOLVED,
        operator=None,
        actor=actor,
        actor_kind=ActorKind.OPERATOR,
        notice=(
            f"{operator_display_name(actor)} marked this resolved. You're back with the assistant; "
            "ask for a person again at any time."
        ),
    )
    _event(
        EventName.HANDOFF_RESOLVED,
        handoff,
        f"resolved:{now.timestamp()}",
        operator_id=handoff.operator_id,
        operator_name=operator_display_name(handoff.operator),
        seconds_to_resolve=(now - handoff.requested_at).total_seconds(),
    )
    return handoff


@transaction.atomic
def handoff_reopen(*, conversation_id: str, actor) -> Handoff:
    """A resolved conversation back to a person (the one reopening it holds it)."""
    conversation = conversation_lock(conversation_id)
    if conversation.handling != Handling.RESOLVED:
        raise HandoffTransitionInvalid(
            "Only a resolved conversation can be reopened.", fields={"handling": [conversation.handling]}
        )
    handoff = conversation.handoffs.order_by("-requested_at").first()
    handoff.resolved_at, handoff.resolved_by = None, None
    handoff.save(update_fields=["resolved_at", "resolved_by", "updated_at"])
    return handoff_assign_locked(conversation=conversation, operator=actor, actor=actor, note="reopened")


# --- the customer rates the help --------------------------------------------------------------


@transaction.atomic
def handoff_rate(*, conversation: Conversation, score, comment: str = "") -> Handoff:
    """CSAT: 1-5 (and an optional comment) for the latest resolved handoff, once."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ApplicationError(
            "The rating is a whole number from 1 to 5.",
            code=ConversationErrorCode.RATING_INVALID,
            fields={"score": ["A whole number from 1 to 5."]},
        )
    comment = (comment or "").replace("\x00", "").strip()[:RATING_COMMENT_MAX]
    locked = conversation_lock(conversation.pk)
    handoff = locked.handoffs.select_for_update().order_by("-requested_at").first()
    if locked.handling != Handling.RESOLVED or handoff is None or handoff.resolved_at is None:
        raise Conflict(
            "There is no finished conversation with our team to rate.", code=ConversationErrorCode.RATING_NOT_ALLOWED
        )
    if handoff.rating is not None:
        raise Conflict("You have already rated this conversation.", code=ConversationErrorCode.RATING_ALREADY_GIVEN)
    handoff.rating, handoff.rating_comment, handoff.rated_at = score, comment, timezone.now()
    handoff.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    conversation_message_create(
        conversation=locked,
        role=Role.INTERNAL,
        message_type=MessageType.HANDOFF,
        content=f"Thanks for your rating ({score} of 5)!",
        metadata={"handoff_id": handoff.pk, "handling": locked.handling, "rating": score},
    )
    handoff_frames_push(conversation_id=locked.pk)
    _event(
        EventName.HANDOFF_RATED,
        handoff,
        "rated",
        operator_id=handoff.operator_id,
        operator_name=operator_display_name(handoff.operator),
        score=score,
    )
    return handoff
