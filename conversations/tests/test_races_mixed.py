"""Limits and once-only steps raced on PostgreSQL (real threads, real row locks): operators
pressing different inbox buttons at once on one conversation leave it in one coherent state with
no error but the stable refusals; notes written at once are all kept; a customer's messages
sent at once cannot pass the per-customer rate limit together."""

import pytest
from django.db import connection

from conversations.enums import Handling
from conversations.models import Conversation, ConversationNote, HandoffTransition, Message
from conversations.services.handoff import (
    handoff_assign,
    handoff_claim,
    handoff_request,
    handoff_resolve,
    handoff_unassign,
)
from conversations.services.notes import conversation_note_create
from conversations.services.replies import customer_message_handle
from conversations.tests.factories import ConversationFactory
from conversations.tests.test_handoff_races import operators, race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REFUSALS = {"handoff_assigned_to_other", "handoff_transition_invalid"}


@pytest.mark.parametrize("round_", range(3))
def test_claim_assign_unassign_and_resolve_at_once_leave_one_coherent_state(round_):
    assert connection.vendor == "postgresql"
    team = operators(4)
    conversation = ConversationFactory()
    handoff_request(conversation=conversation)
    cid = conversation.id
    calls = [
        lambda: handoff_claim(conversation_id=cid, operator=team[0]),
        lambda: handoff_claim(conversation_id=cid, operator=team[1]),
        lambda: handoff_assign(conversation_id=cid, operator_id=team[2].pk, actor=team[3]),
        lambda: handoff_assign(conversation_id=cid, operator_id=team[3].pk, actor=team[0]),
        lambda: handoff_unassign(conversation_id=cid, actor=team[1]),
        lambda: handoff_resolve(conversation_id=cid, actor=team[2]),
        lambda: handoff_resolve(conversation_id=cid, actor=team[3]),
    ]
    calls = calls[round_:] + calls[:round_]  # a different start order each round
    results, codes = race(calls)

    assert set(codes) <= REFUSALS, codes
    assert len(results) + len(codes) == len(calls)
    row = Conversation.objects.get(pk=cid)
    last = HandoffTransition.objects.filter(handoff__conversation_id=cid).order_by("-id").first()
    assert last is not None and row.handling == last.to_state
    assert (row.assignee_id is not None) == (row.handling == Handling.ASSIGNED)
    # A claim that lands after a resolve takes the conversation over from the assistant (a new
    # handoff, by design); each handoff is resolved at most once.
    resolved = HandoffTransition.objects.filter(handoff__conversation_id=cid, to_state=Handling.RESOLVED)
    assert resolved.count() == len(set(resolved.values_list("handoff_id", flat=True)))


def test_notes_written_at_once_are_all_kept():
    team = operators(2)
    conversation = ConversationFactory()
    calls = [
        lambda i=i: conversation_note_create(conversation_id=conversation.id, author=team[i % 2], content=f"note {i}")
        for i in range(8)
    ]
    results, codes = race(calls)
    assert codes == [] and len(results) == 8
    assert ConversationNote.objects.filter(conversation=conversation).count() == 8


def test_a_customers_messages_sent_at_once_cannot_pass_the_rate_limit_together(settings, shop):
    settings.PARLEY_RATE_LIMIT_PER_MINUTE, settings.PARLEY_RATE_LIMIT_PER_HOUR = 3, 0
    conversation = ConversationFactory()
    calls = [
        lambda i=i: customer_message_handle(conversation=conversation, content=f"hello {i}", client_message_id=f"m{i}")
        for i in range(8)
    ]
    results, codes = race(calls)
    assert len(results) == 3 and codes == ["rate_limited"] * 5
    assert Message.objects.filter(conversation=conversation, role="user").count() == 3
