"""The `talk_to_human` button: offered when the customer asks for a person or the assistant cannot
help, pressing it hands the conversation over; never offered for what the shop refuses."""

import pytest

from actions.services.clicks import action_click
from actions.types import action_type_get
from conversations.enums import Handling
from conversations.models import Conversation
from conversations.services.handoff import handoff_request
from conversations.services.replies import customer_message_handle
from conversations.tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def say(conversation, text):
    return customer_message_handle(conversation=conversation, content=text)[1]


def offered(reply):
    return [a for a in reply.actions.all() if a.type == "talk_to_human"]


def test_talk_to_human_is_a_registered_action_type_with_a_schema():
    talk = action_type_get("talk_to_human")
    assert talk is not None and talk.label == "Talk to a person" and not talk.needs_operator
    assert talk.clean_payload({"reason": "customer_asked"}) == {"reason": "customer_asked"}
    assert talk.clean_payload({"reason": "operator_takeover"}) is None  # not the customer's to claim


def test_asking_for_a_person_offers_the_button_and_pressing_it_hands_over(capture_realtime):
    conversation = ConversationFactory()
    reply = say(conversation, "can I talk to a human?")
    (button,) = offered(reply)
    assert "Press Talk to a person" in reply.content
    action = action_click(action=button)
    assert action.status == "succeeded" and action.enabled is False
    assert Conversation.objects.get(pk=conversation.pk).handling == Handling.WAITING_FOR_HUMAN
    assert action.result["handoff_id"]
    # While a person is asked for, the button is not offered again (nor anything said).
    assert say(conversation, "can I talk to a human?") is None


def test_the_assistant_offers_a_person_after_abstaining_twice():
    conversation = ConversationFactory()
    # Shop words with no question in them: the assistant asks to clarify (gibberish is out of scope).
    first = say(conversation, "the part thing")
    assert first.metadata["intent"] == "clarify" and not offered(first)
    second = say(conversation, "that part thing")  # not the same words: not "repeating oneself"
    assert second.metadata["intent"] == "clarify"
    assert offered(second) and offered(second)[0].payload == {"reason": "assistant_abstained"}


@pytest.mark.parametrize("text", ["this is ridiculous, where is my part", "MY DISHWASHER PART STILL HAS NOT ARRIVED"])
def test_an_upset_customer_is_offered_a_person(text):
    reply = say(ConversationFactory(), text)
    assert offered(reply)[0].payload == {"reason": "customer_upset"}


def test_a_customer_repeating_themselves_is_offered_a_person():
    conversation = ConversationFactory()
    assert not offered(say(conversation, "does the water filter fit my fridge"))
    assert offered(say(conversation, "Does the water filter fit my fridge?"))[0].payload == {"reason": "customer_upset"}
    greeting = ConversationFactory()
    say(greeting, "hello")
    assert not offered(say(greeting, "hello"))


def test_a_refund_asked_for_again_after_the_assistant_could_not_offer_one_is_a_dispute():
    conversation = ConversationFactory()
    first = say(conversation, "refund my order please")
    assert first.metadata["intent"] == "refund_request" and not offered(first)
    again = say(conversation, "I want a refund for my order now")
    assert again.metadata["intent"] == "refund_request"
    assert offered(again)[0].payload == {"reason": "dispute"}


def test_what_the_shop_refuses_gets_no_offer():
    reply = say(ConversationFactory(), "what's the weather in Paris?")
    assert reply.metadata["intent"] == "out_of_scope" and not offered(reply)


def test_no_button_while_a_person_is_already_asked_for():
    conversation = ConversationFactory()
    handoff_request(conversation=conversation)
    talk = action_type_get("talk_to_human")
    from actions.types import Prerequisites

    assert not talk.is_available({"reason": "customer_asked"}, Prerequisites(conversation_id=conversation.id))
