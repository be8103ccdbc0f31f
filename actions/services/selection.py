"""The one function that decides the buttons of every reply, whoever wrote the reply."""

from dataclasses import dataclass, field

from django.db import transaction

from actions.enums import ActionStatus, ActionStyle
from actions.models import Action, ActionTransition
from actions.types import Prerequisites, action_type_get
from analytics.enums import EventName
from analytics.services import event_record

MAX_ACTIONS_PER_MESSAGE = 3


@dataclass
class ActionProposal:
    type: str
    payload: dict = field(default_factory=dict)
    label: str = ""
    style: str = ""


@dataclass(frozen=True)
class SelectedAction:
    type: str
    label: str
    style: str
    payload: dict
    requires_confirmation: bool


def actions_select(*, proposals: list[ActionProposal], known: Prerequisites) -> list[SelectedAction]:
    """Apply the reply rules of DESIGN.md to what an engine proposed.

    Unknown types, payloads that fail their schema, unmet prerequisites and anything outside
    the shop's scope are dropped; duplicates too; at most one primary; at most three.
    """
    selected: list[SelectedAction] = []
    seen: set[tuple] = set()
    has_primary = False
    for proposal in proposals:
        action_type = action_type_get(proposal.type)
        if action_type is None:
            continue
        payload = action_type.clean_payload(proposal.payload)
        if payload is None or not action_type.is_available(payload, known):
            continue
        key = (action_type.type, tuple(sorted((k, str(v)) for k, v in payload.items())))
        if key in seen:
            continue
        seen.add(key)
        style = action_type.style
        if style == ActionStyle.PRIMARY:
            if has_primary:
                style = ActionStyle.SECONDARY
            has_primary = True
        selected.append(
            SelectedAction(
                type=action_type.type,
                label=(proposal.label or action_type.label)[:120],
                style=style,
                payload=payload,
                requires_confirmation=action_type.requires_confirmation,
            )
        )
        if len(selected) == MAX_ACTIONS_PER_MESSAGE:
            break
    return selected


@transaction.atomic(savepoint=False)  # inside a caller's transaction, it fails with it
def actions_render_for_message(
    *, conversation, message, selected: list[SelectedAction], intent: str = ""
) -> list[Action]:
    actions = Action.objects.bulk_create(
        [
            Action(
                conversation=conversation,
                message=message,
                type=item.type,
                position=position,
                label=item.label,
                style=item.style,
                payload=item.payload,
                requires_confirmation=item.requires_confirmation,
                status=ActionStatus.RENDERED,
            )
            for position, item in enumerate(selected)
        ]
    )
    ActionTransition.objects.bulk_create(
        [
            ActionTransition(action=action, from_status=ActionStatus.PROPOSED, to_status=ActionStatus.RENDERED)
            for action in actions
        ]
    )
    for action in actions:
        event_record(
            name=EventName.ACTION_RENDERED,
            conversation_id=conversation.id,
            action_type=action.type,
            ps_number=action.payload.get("psNumber", ""),
            model_number=action.payload.get("modelNumber", ""),
            intent=intent,
        )
    return actions
