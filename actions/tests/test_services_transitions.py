"""The action state machine: every allowed transition, every illegal one, recorded and pushed."""

import itertools

import pytest

from actions.enums import ActionStatus as S
from actions.exceptions import ActionNotAllowed
from actions.models import Action, ActionTransition
from actions.services.clicks import action_click
from actions.services.transitions import action_transition
from actions.state_machine import ALLOWED_TRANSITIONS, can_transition
from actions.tests.factories import ActionFactory
from analytics.models import Event
from conversations.tests.factories import ConversationFactory
from core.realtime import OPERATORS_GROUP, conversation_group

pytestmark = pytest.mark.django_db(transaction=True)

ALLOWED = sorted((a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets)
ILLEGAL = sorted(
    (a, b) for a, b in itertools.product(S.values, S.values) if b not in ALLOWED_TRANSITIONS.get(a, frozenset())
)


def test_the_table_is_the_documented_lifecycle():
    assert can_transition(S.RENDERED, S.CLICKED)
    assert can_transition(S.CLICKED, S.PENDING_APPROVAL)
    for decision in (S.APPROVED, S.DENIED, S.EDITED, S.EXPIRED):
        assert can_transition(S.PENDING_APPROVAL, decision)
    for done in (S.SUCCEEDED, S.FAILED):
        assert can_transition(S.APPROVED, done) and can_transition(S.EDITED, done)
    for terminal in (S.DENIED, S.SUCCEEDED, S.EXPIRED):
        assert ALLOWED_TRANSITIONS[terminal] == frozenset()


@pytest.mark.parametrize("from_status,to_status", ALLOWED)
def test_each_allowed_transition_is_stored_with_who_and_when_and_pushed(
    from_status, to_status, operator, capture_realtime
):
    conversation = ConversationFactory()
    action = ActionFactory(conversation=conversation, status=from_status)

    action_transition(action=action, to_status=to_status, actor_kind="operator", actor=operator, note="why")

    action.refresh_from_db()
    assert action.status == to_status
    last = ActionTransition.objects.filter(action=action).latest("id")
    assert (last.from_status, last.to_status, last.actor, last.note) == (from_status, to_status, operator, "why")
    assert last.created_at is not None
    (event,) = capture_realtime.events(group=conversation_group(conversation.id), type="action.status")
    assert event["type"] == "action.status" and event["action_id"] == action.id and event["status"] == to_status
    assert isinstance(event["committed_at"], float)


@pytest.mark.django_db  # no commit needed: nothing may happen
@pytest.mark.parametrize("from_status,to_status", ILLEGAL)
def test_each_illegal_transition_is_refused_and_changes_nothing(from_status, to_status):
    conversation = ConversationFactory()
    action = ActionFactory(conversation=conversation, status=from_status)

    with pytest.raises(ActionNotAllowed) as caught:
        action_transition(action=action, to_status=to_status)

    assert caught.value.code == "illegal_transition" and caught.value.status_code == 409
    assert Action.objects.get(pk=action.pk).status == from_status
    assert ActionTransition.objects.filter(action=action).count() == 1  # only the fixture's


@pytest.mark.parametrize(
    "to_status,event_name",
    [(S.CLICKED, "action_clicked"), (S.FAILED, "action_failed")],
)
def test_transitions_emit_telemetry_with_dimensions(to_status, event_name, shop):
    conversation = ConversationFactory()
    action = ActionFactory(
        conversation=conversation, type="checkout_now", payload={"psNumber": "PS11750057", "quantity": 1}
    )

    action_transition(action=action, to_status=to_status)

    event = Event.objects.get(name=event_name)
    assert (event.conversation_id, event.action_type, event.ps_number) == (
        conversation.id,
        "checkout_now",
        "PS11750057",
    )


def test_succeeded_emits_action_succeeded(shop):
    conversation = ConversationFactory()
    action = ActionFactory(
        conversation=conversation, type="checkout_now", payload={"psNumber": "PS11750057", "quantity": 1}
    )
    action_transition(action=action, to_status=S.CLICKED)
    action_transition(action=action, to_status=S.SUCCEEDED)
    assert Event.objects.filter(name="action_succeeded", action_type="checkout_now").count() == 1


def test_clicking_an_operator_type_makes_it_pending_and_tells_the_inbox(capture_realtime):
    conversation = ConversationFactory(customer_name="Ann")
    action = ActionFactory(conversation=conversation)

    action_click(action=action)

    action.refresh_from_db()
    assert (action.status, action.enabled) == (S.PENDING_APPROVAL, False)
    assert list(action.transitions.values_list("to_status", "actor_kind")) == [
        ("rendered", "system"),
        ("clicked", "customer"),
        ("pending_approval", "customer"),
    ]
    (event,) = capture_realtime.events(group=OPERATORS_GROUP)
    assert event["type"] == "operator.action"
    assert event["action"]["id"] == action.id and event["action"]["status"] == "pending_approval"
    assert event["action"]["customer"]["name"] == "Ann"


def test_clicking_a_pending_request_again_changes_nothing():
    conversation = ConversationFactory()
    action = action_click(action=ActionFactory(conversation=conversation))

    again = action_click(action=action)

    assert again.status == S.PENDING_APPROVAL
    assert action.transitions.count() == 3


def test_a_decided_button_cannot_be_clicked():
    conversation = ConversationFactory()
    action = ActionFactory(conversation=conversation, status=S.DENIED)
    with pytest.raises(ActionNotAllowed) as caught:
        action_click(action=action)
    assert caught.value.code == "action_not_clickable"
