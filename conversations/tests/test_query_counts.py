"""Query-count guard on the chat path, at the service boundary (`customer_message_handle`, the
offline rules engine): a reply costs a bounded number of queries, and the same number however
long the conversation already is (no query per earlier message or action). The count includes
what runs when the two transactions commit (the pushes and the telemetry)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations.services.replies import customer_message_handle
from conversations.tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db

# The question below, with its commit work, costs 23 queries: storing the customer's message (a
# savepoint, the locked conversation with who answers, its context, customer and assignee, seq
# update, insert, its telemetry in a savepoint of its own (3), release); the model, the symptom's
# parts with their compatibility rows and the fit the reply names (4); the earlier messages the
# handoff offer looks at (1); the reply's transaction (a savepoint, the locked conversation's
# handling, context, last seq and customer contact, the context and seq update in one, insert, the
# button's action and transition, the telemetry in its savepoint (3), release). The operators'
# inbox line is built from the row locked with the message; the button's fit is the one read with
# the symptom's parts; grounding checks the parts the reply read, as it read them; the
# catalogue's, symptoms' and policies' versions are read at most every
# PARLEY_DATA_RECHECK_SECONDS (core/stamps.py; here the process read them moments ago). It was 58
# before the pushes were built from the rows in hand, telemetry written per transaction, catalogue
# rows read once per reply and the retry lock skipped when there is no retry; 33 before the
# versions were kept, the conversation read once per transaction and fits read in bulk reused; 25
# before the reply's context was stored in the UPDATE that moves the seq on and grounding read the
# parts the reply had read again. A change that adds a query here must say why in this count.
REPLY_MOST = 23
EXCHANGE = [
    "Is PS11750057 compatible with WDT780SAEM1?",
    "I want to buy 2 of PS11750057",
    "show me dishwasher parts",
    "how do I install PS11750057",
]
QUESTION = "My dishwasher upper rack is broken"


def _conversation_after(rounds: int):
    conversation = ConversationFactory(context={"modelNumber": "WDT780SAEM1"})
    for _ in range(rounds):
        for text in EXCHANGE:
            customer_message_handle(conversation=conversation, content=text)
    return conversation


def test_a_reply_costs_a_bounded_number_of_queries_whatever_the_history(
    shop, settings, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    settings.PARLEY_DATA_RECHECK_SECONDS = 3600  # a slow run must not see a version read again mid-test
    short = _conversation_after(1)
    with CaptureQueriesContext(connection) as after_short, django_capture_on_commit_callbacks(execute=True):
        customer_message_handle(conversation=short, content=QUESTION)

    long = _conversation_after(3)  # eight more exchanges, each with cards and buttons
    with (
        django_assert_max_num_queries(REPLY_MOST) as after_long,
        django_capture_on_commit_callbacks(execute=True) as hooks,
    ):
        _, reply = customer_message_handle(conversation=long, content=QUESTION)

    assert reply.parts and reply.actions.exists()  # the reply really shows parts and a button
    assert hooks  # the pushes and telemetry ran, and were counted
    assert len(after_long.captured_queries) == len(after_short.captured_queries)
