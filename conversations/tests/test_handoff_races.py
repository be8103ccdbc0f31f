"""Operators acting at once on PostgreSQL (real row locks, real threads): of many claims exactly one
wins; of many answers to one customer message exactly one is stored and pushed."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from conversations.enums import Handling, Role
from conversations.models import Conversation, HandoffTransition, Message
from conversations.services.handoff import handoff_claim, handoff_request
from conversations.services.operator_replies import operator_reply_send
from conversations.services.replies import customer_message_handle
from conversations.tests.factories import ConversationFactory
from core.exceptions import ApplicationError
from core.realtime import conversation_group

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls):
    """Run the callables at the same instant, each on its own connection: (results, error codes)."""
    barrier = threading.Barrier(len(calls))
    results, codes, errors = [], [], []

    def run(call):
        try:
            barrier.wait(timeout=10)
            results.append(call())
        except ApplicationError as exc:
            codes.append(exc.code)
        except BaseException as exc:  # reported by the caller's assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results, codes


def operators(n):
    model = get_user_model()
    return [
        model.objects.create_user(username=f"op{i}", password="pw-12345678", is_staff=True, first_name=f"Op{i}")
        for i in range(n)
    ]


def test_of_many_operators_claiming_at_once_exactly_one_holds_it():
    assert connection.vendor == "postgresql"
    team = operators(6)
    conversation = ConversationFactory()
    handoff_request(conversation=conversation)
    results, codes = race([lambda op=op: handoff_claim(conversation_id=conversation.id, operator=op) for op in team])
    assert len(results) == 1 and codes == ["handoff_assigned_to_other"] * 5
    row = Conversation.objects.get(pk=conversation.pk)
    assert row.handling == Handling.ASSIGNED and row.assignee_id == results[0].operator_id
    assert HandoffTransition.objects.filter(to_state=Handling.ASSIGNED).count() == 1
    joined = Message.objects.filter(conversation=conversation, content__endswith="joined the conversation.")
    assert joined.count() == 1


def test_two_operators_answering_the_same_customer_message_store_one_answer(capture_realtime):
    team = operators(2)
    conversation = ConversationFactory()
    handoff_request(conversation=conversation)
    asked, _ = customer_message_handle(conversation=conversation, content="where is my order?")
    results, codes = race(
        [
            lambda op=op: operator_reply_send(
                conversation_id=conversation.id, operator=op, content=f"{op.first_name} here", reply_to=asked.id
            )
            for op in team
        ]
    )
    assert len(results) == 1 and codes == ["handoff_assigned_to_other"]
    answers = Message.objects.filter(conversation=conversation, role=Role.OPERATOR)
    assert answers.count() == 1
    pushed = capture_realtime.events(group=conversation_group(conversation.id), type="message")
    assert [e["message"]["role"] for e in pushed].count("operator") == 1


def test_one_operator_in_two_tabs_answers_a_message_once():
    (dana,) = operators(1)
    conversation = ConversationFactory()
    handoff_claim(conversation_id=conversation.id, operator=dana)
    asked, _ = customer_message_handle(conversation=conversation, content="hello?")
    results, codes = race(
        [
            lambda tab=tab: operator_reply_send(
                conversation_id=conversation.id, operator=dana, content=f"tab {tab}", reply_to=asked.id
            )
            for tab in range(3)
        ]
    )
    assert len(results) == 1 and codes == ["message_already_answered"] * 2
    assert Message.objects.filter(conversation=conversation, role=Role.OPERATOR).count() == 1


def test_a_claim_racing_customer_messages_leaves_no_assistant_reply_after_it():
    (dana,) = operators(1)
    conversation = ConversationFactory()
    calls = [lambda: handoff_claim(conversation_id=conversation.id, operator=dana)]
    calls += [
        lambda n=n: customer_message_handle(
            conversation=Conversation.objects.get(pk=conversation.pk), content=f"is PS11750057 in stock? {n}"
        )
        for n in range(3)
    ]
    race(calls)
    claimed_at = (
        Message.objects.filter(conversation=conversation, content__endswith="joined the conversation.").get().seq
    )
    assert not Message.objects.filter(conversation=conversation, role=Role.ASSISTANT, seq__gt=claimed_at).exists()
