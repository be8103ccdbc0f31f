"""Query-count guard on the chat path, at the service boundary (`customer_message_handle`, the
offline rules engine): a reply costs a bounded number of queries, and the same number however
long the conversation already is (no query per earlier message or action)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations.services.replies import customer_message_handle
from conversations.tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db

# Today a reply with part cards and a button costs 41 to 48 queries (claim, context, catalogue,
# actions, the reply and its push); the bound leaves room for the assistant to grow but not
# for a query per part, message or action.
REPLY_MOST = 60
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


def test_a_reply_costs_a_bounded_number_of_queries_whatever_the_history(shop, django_assert_max_num_queries):
    short = _conversation_after(1)
    with CaptureQueriesContext(connection) as after_short:
        customer_message_handle(conversation=short, content=QUESTION)

    long = _conversation_after(3)  # eight more exchanges, each with cards and buttons
    with django_assert_max_num_queries(REPLY_MOST) as after_long:
        _, reply = customer_message_handle(conversation=long, content=QUESTION)

    assert reply.parts and reply.actions.exists()  # the reply really shows parts and a button
    assert len(after_long.captured_queries) == len(after_short.captured_queries)
