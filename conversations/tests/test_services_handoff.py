"""Handoff services: every transition, its audit row, its notice and frames; the assistant's silence;
operator replies on the conversation's channel; notes; saved replies; ratings; shop hours."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from analytics.models import Event
from conversations.enums import Handling, HandoffReason, MessageType, Role
from conversations.models import (
    Conversation,
    ConversationNote,
    Customer,
    Handoff,
    HandoffTransition,
    Message,
    SavedReply,
    WhatsAppContact,
)
from conversations.selectors import handoff_public_dict, messages_list
from conversations.serializers import message_to_dict
from conversations.services.handoff import (
    handoff_assign,
    handoff_claim,
    handoff_contact_set,
    handoff_rate,
    handoff_reopen,
    handoff_request,
    handoff_resolve,
    handoff_unassign,
)
from conversations.services.notes import conversation_note_create
from conversations.services.operator_replies import operator_reply_send
from conversations.services.replies import customer_message_handle
from conversations.services.saved_replies import saved_reply_create, saved_reply_render
from conversations.tests.factories import ConversationFactory
from core.exceptions import ApplicationError
from core.outbox.models import OutboundDelivery
from core.realtime import OPERATORS_GROUP, conversation_group

pytestmark = pytest.mark.django_db


def operator(username="dana", first_name="Dana", **extra):
    return get_user_model().objects.create_user(
        username=username, password="pw-12345678", is_staff=True, first_name=first_name, **extra
    )


def handling(conversation):
    row = Conversation.objects.get(pk=conversation.pk)
    return row.handling, row.assignee_id


def transitions(conversation):
    return list(
        HandoffTransition.objects.filter(handoff__conversation=conversation)
        .order_by("created_at", "pk")
        .values_list("from_state", "to_state")
    )


def test_the_whole_way_round_with_audit_notices_and_frames(capture_realtime, django_capture_on_commit_callbacks):
    dana, sam = operator(), operator("sam", "Sam")
    conversation = ConversationFactory(customer_name="Ann")
    group = conversation_group(conversation.id)
    with django_capture_on_commit_callbacks(execute=True):
        handoff = handoff_request(conversation=conversation)
    assert handling(conversation) == (Handling.WAITING_FOR_HUMAN, None)
    frame = capture_realtime.events(group=group, type="handoff")[-1]
    assert frame["handoff"]["state"] == "waiting_for_human" and frame["handoff"]["operator"] is None
    assert frame["seq"] == Conversation.objects.get(pk=conversation.pk).last_seq
    assert capture_realtime.events(group=OPERATORS_GROUP, type="operator.handoff")[-1]["conversationId"] == (
        conversation.id
    )

    with django_capture_on_commit_callbacks(execute=True):
        handoff_claim(conversation_id=conversation.id, operator=dana)
    assert handling(conversation) == (Handling.ASSIGNED, dana.pk)
    frame = capture_realtime.events(group=group, type="handoff")[-1]
    assert frame["handoff"]["operator"] == {"name": "Dana"}  # the display name, never the id or email
    notice = Message.objects.filter(conversation=conversation).order_by("-seq").first()
    assert (notice.role, notice.message_type) == (Role.INTERNAL, MessageType.HANDOFF)
    assert notice.content == "Dana from our team joined the conversation."

    with django_capture_on_commit_callbacks(execute=True):
        handoff_assign(conversation_id=conversation.id, operator_id=sam.pk, actor=dana)
    assert handling(conversation) == (Handling.ASSIGNED, sam.pk)
    assert capture_realtime.events(group=group, type="handoff")[-1]["handoff"]["operator"] == {"name": "Sam"}
    with django_capture_on_commit_callbacks(execute=True):
        handoff_unassign(conversation_id=conversation.id, actor=sam)
    assert handling(conversation) == (Handling.WAITING_FOR_HUMAN, None)
    with django_capture_on_commit_callbacks(execute=True):
        handoff_claim(conversation_id=conversation.id, operator=dana)
    with django_capture_on_commit_callbacks(execute=True):
        handoff_resolve(conversation_id=conversation.id, actor=dana)
    assert handling(conversation) == (Handling.RESOLVED, None)
    assert capture_realtime.events(group=group, type="handoff")[-1]["handoff"]["canRate"] is True
    with django_capture_on_commit_callbacks(execute=True):
        handoff_reopen(conversation_id=conversation.id, actor=sam)
    assert handling(conversation) == (Handling.ASSIGNED, sam.pk)
    with django_capture_on_commit_callbacks(execute=True):
        handoff_resolve(conversation_id=conversation.id, actor=sam)
    # Every transition told the customer's sockets and the inbox, each frame with what it became.
    states = [e["handoff"]["state"] for e in capture_realtime.events(group=group, type="handoff")]
    assert states == [
        "waiting_for_human",
        "assigned",
        "assigned",
        "waiting_for_human",
        "assigned",
        "resolved",
        "assigned",
        "resolved",
    ]
    inbox = [e["handoff"]["state"] for e in capture_realtime.events(group=OPERATORS_GROUP, type="operator.handoff")]
    assert inbox == states

    assert transitions(conversation) == [
        ("bot", "waiting_for_human"),
        ("waiting_for_human", "assigned"),
        ("assigned", "assigned"),
        ("assigned", "waiting_for_human"),
        ("waiting_for_human", "assigned"),
        ("assigned", "resolved"),
        ("resolved", "assigned"),
        ("assigned", "resolved"),
    ]
    handoff.refresh_from_db()
    assert handoff.operator == sam and handoff.resolved_by == sam and handoff.resolved_at is not None
    assert Handoff.objects.filter(conversation=conversation).count() == 1


@pytest.mark.parametrize(
    ("service", "state"),
    [
        (lambda c, op: handoff_unassign(conversation_id=c.id, actor=op), Handling.BOT),
        (lambda c, op: handoff_resolve(conversation_id=c.id, actor=op), Handling.BOT),
        (lambda c, op: handoff_reopen(conversation_id=c.id, actor=op), Handling.BOT),
    ],
)
def test_transitions_the_table_does_not_allow_are_refused_with_nothing_written(service, state):
    dana = operator()
    conversation = ConversationFactory()
    before = Message.objects.filter(conversation=conversation).count()
    with pytest.raises(ApplicationError) as refused:
        service(conversation, dana)
    assert refused.value.code == "handoff_transition_invalid" and refused.value.status_code == 409
    assert handling(conversation) == (state, None)
    assert Message.objects.filter(conversation=conversation).count() == before
    assert not HandoffTransition.objects.exists()


def test_claiming_what_another_operator_holds_is_refused_and_claiming_twice_is_one_claim():
    dana, sam = operator(), operator("sam", "Sam")
    conversation = ConversationFactory()
    handoff_request(conversation=conversation)
    handoff_claim(conversation_id=conversation.id, operator=dana)
    handoff_claim(conversation_id=conversation.id, operator=dana)
    with pytest.raises(ApplicationError) as refused:
        handoff_claim(conversation_id=conversation.id, operator=sam)
    assert refused.value.code == "handoff_assigned_to_other" and "Dana" in refused.value.detail
    assert handling(conversation) == (Handling.ASSIGNED, dana.pk)
    assert len(transitions(conversation)) == 2


def test_asking_twice_is_one_request_and_an_unknown_operator_cannot_be_assigned():
    conversation = ConversationFactory()
    first = handoff_request(conversation=conversation)
    assert handoff_request(conversation=conversation) == first
    customer = get_user_model().objects.create_user(username="shopper", password="pw-12345678")
    with pytest.raises(ApplicationError) as refused:
        handoff_assign(conversation_id=conversation.id, operator_id=customer.pk, actor=operator())
    assert refused.value.code == "operator_not_found"
    assert handling(conversation) == (Handling.WAITING_FOR_HUMAN, None)


def test_an_operator_can_take_over_from_the_assistant():
    dana = operator()
    conversation = ConversationFactory()
    handoff = handoff_claim(conversation_id=conversation.id, operator=dana)
    assert handoff.reason == HandoffReason.OPERATOR_TAKEOVER
    assert handling(conversation) == (Handling.ASSIGNED, dana.pk)


def test_the_assistant_is_silent_while_a_person_is_asked_for_or_holds_it_and_back_after(
    capture_realtime, django_capture_on_commit_callbacks
):
    dana = operator()
    conversation = ConversationFactory()
    handoff_request(conversation=conversation)
    with django_capture_on_commit_callbacks(execute=True):
        message, reply = customer_message_handle(conversation=conversation, content="hello? anyone?")
    assert reply is None and message.role == Role.USER
    # The inbox hears the customer; the customer's sockets hear no typing, no token, no reply.
    assert capture_realtime.events(group=OPERATORS_GROUP, type="operator.conversation")
    assert not capture_realtime.events(group=conversation_group(conversation.id), type="typing")
    handoff_claim(conversation_id=conversation.id, operator=dana)
    _, reply = customer_message_handle(conversation=conversation, content="is PS11750057 in stock?")
    assert reply is None
    assert not Message.objects.filter(conversation=conversation, role=Role.ASSISTANT, seq__gt=1).exists()
    handoff_resolve(conversation_id=conversation.id, actor=dana)
    _, reply = customer_message_handle(conversation=conversation, content="is PS11750057 in stock?")
    assert reply is not None and reply.role == Role.ASSISTANT


def test_an_operator_reply_is_stored_once_named_and_pushed_on_the_web(
    capture_realtime, django_capture_on_commit_callbacks
):
    dana = operator(last_name="Reyes")
    conversation = ConversationFactory()
    handoff_request(conversation=conversation)
    asked = customer_message_handle(conversation=conversation, content="my part is broken")[0]
    with django_capture_on_commit_callbacks(execute=True):
        reply = operator_reply_send(
            conversation_id=conversation.id,
            operator=dana,
            content="I'm on it.",
            client_message_id="op-1",
            reply_to=asked.id,
        )
    again = operator_reply_send(
        conversation_id=conversation.id, operator=dana, content="I'm on it.", client_message_id="op-1"
    )
    assert again == reply  # a retry returns the stored reply
    assert handling(conversation) == (Handling.ASSIGNED, dana.pk)  # replying claimed it
    shown = message_to_dict(reply)
    assert shown["role"] == "operator" and shown["operator"] == {"name": "Dana Reyes"}
    pushed = [e for e in capture_realtime.events(group=conversation_group(conversation.id), type="message")]
    assert [e["message"]["id"] for e in pushed].count(reply.id) == 1
    assert not OutboundDelivery.objects.exists()  # the web chat needs no delivery: the push is it
    handoff = Handoff.objects.get(conversation=conversation)
    assert handoff.first_response_at is not None
    with pytest.raises(ApplicationError) as refused:
        operator_reply_send(conversation_id=conversation.id, operator=dana, content="Me too", reply_to=asked.id)
    assert refused.value.code == "message_already_answered"


def test_a_reply_to_another_operators_conversation_is_refused():
    dana, sam = operator(), operator("sam", "Sam")
    conversation = ConversationFactory()
    handoff_claim(conversation_id=conversation.id, operator=dana)
    with pytest.raises(ApplicationError) as refused:
        operator_reply_send(conversation_id=conversation.id, operator=sam, content="Hi")
    assert refused.value.code == "handoff_assigned_to_other"
    assert not Message.objects.filter(conversation=conversation, role=Role.OPERATOR).exists()


def test_an_email_conversation_gets_the_operator_reply_by_email_exactly_once(django_capture_on_commit_callbacks):
    dana = operator()
    conversation = ConversationFactory(customer_email="ann@example.com", channel="email")
    handoff_request(conversation=conversation)
    with django_capture_on_commit_callbacks(execute=True):
        operator_reply_send(conversation_id=conversation.id, operator=dana, content="Your refund is on its way.")
    delivery = OutboundDelivery.objects.get(kind="conversations.operator_reply")
    assert delivery.status == "sent"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ann@example.com"]
    assert "Your refund is on its way." in mail.outbox[0].body and "Dana" in mail.outbox[0].body
    assert "Dana" in mail.outbox[0].subject


def test_after_hours_the_customer_is_told_when_and_the_answer_also_goes_by_email(
    settings, django_capture_on_commit_callbacks
):
    settings.PARLEY_SHOP_HOURS = "mon-fri 09:00-17:00"
    settings.PARLEY_SHOP_TIMEZONE = "UTC"
    saturday = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
    conversation = ConversationFactory()
    handoff = handoff_request(conversation=conversation, now=saturday)
    assert handoff.after_hours
    notice = Message.objects.filter(conversation=conversation).order_by("-seq").first()
    assert "on Monday at 09:00 (UTC)" in notice.content and "Leave your email" in notice.content
    conversation.refresh_from_db()
    assert handoff_public_dict(conversation)["emailWanted"] is True
    with pytest.raises(ApplicationError) as refused:
        handoff_contact_set(conversation=conversation, email="not-an-email")
    assert refused.value.code == "handoff_contact_invalid"
    handoff_contact_set(conversation=conversation, email="Ann@Example.com")
    assert handoff_public_dict(conversation)["emailWanted"] is False
    with django_capture_on_commit_callbacks(execute=True):
        operator_reply_send(conversation_id=conversation.id, operator=operator(), content="Here is your answer.")
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]


def test_shop_hours_in_hours_is_a_plain_request(settings):
    settings.PARLEY_SHOP_HOURS = "mon-fri 09:00-17:00"
    tuesday_noon = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    conversation = ConversationFactory()
    assert handoff_request(conversation=conversation, now=tuesday_noon).after_hours is False


def test_notes_never_reach_the_customer(capture_realtime, django_capture_on_commit_callbacks):
    conversation = ConversationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        conversation_note_create(conversation_id=conversation.id, author=operator(), content="VIP: be nice")
    assert ConversationNote.objects.get().content == "VIP: be nice"
    assert all("VIP" not in m.content for m in messages_list(conversation=conversation))
    assert not capture_realtime.events(group=conversation_group(conversation.id))
    assert capture_realtime.events(group=OPERATORS_GROUP, type="operator.note")[0]["note"]["content"] == "VIP: be nice"
    with pytest.raises(ApplicationError) as refused:
        conversation_note_create(conversation_id=conversation.id, author=None, content="  ")
    assert refused.value.code == "note_invalid"


def test_saved_replies_fill_in_the_customer_order_and_part():
    conversation = ConversationFactory(customer_name="Ann")
    Conversation.objects.filter(pk=conversation.pk).update(context={"psNumber": "PS-NOPE"})
    reply = saved_reply_create(
        title="Hello",
        body="Hi {{ customer.name }}, {{ operator.name }} here about {{ part.psNumber }}{{ order.number }}.",
    )
    text = saved_reply_render(saved_reply_id=reply.pk, conversation_id=conversation.id, operator=operator())
    assert text == "Hi Ann, Dana here about PS-NOPE."
    with pytest.raises(ApplicationError) as refused:
        saved_reply_create(title="Broken", body="Hi {% if %}")
    assert refused.value.code == "saved_reply_invalid"
    assert SavedReply.objects.count() == 1
    with pytest.raises(ApplicationError) as missing:
        saved_reply_render(saved_reply_id=999, conversation_id=conversation.id, operator=None)
    assert missing.value.code == "saved_reply_not_found"


def test_rating_after_a_resolved_handoff_once(django_capture_on_commit_callbacks):
    dana = operator()
    conversation = ConversationFactory()
    handoff_request(conversation=conversation)
    with pytest.raises(ApplicationError) as early:
        handoff_rate(conversation=conversation, score=5)
    assert early.value.code == "rating_not_allowed"
    handoff_claim(conversation_id=conversation.id, operator=dana)
    handoff_resolve(conversation_id=conversation.id, actor=dana)
    for bad in (0, 6, "5", True, None):
        with pytest.raises(ApplicationError) as invalid:
            handoff_rate(conversation=conversation, score=bad)
        assert invalid.value.code == "rating_invalid"
    with django_capture_on_commit_callbacks(execute=True):
        handoff = handoff_rate(conversation=conversation, score=4, comment="  quick, thanks ")
    assert (handoff.rating, handoff.rating_comment) == (4, "quick, thanks")
    with pytest.raises(ApplicationError) as twice:
        handoff_rate(conversation=conversation, score=1)
    assert twice.value.code == "rating_already_given"
    conversation.refresh_from_db()
    assert handoff_public_dict(conversation)["canRate"] is False
    rated = Event.objects.get(name="handoff_rated")
    assert rated.properties["score"] == 4 and rated.properties["operator_id"] == dana.pk


@pytest.fixture
def whatsapp(settings):
    from conversations.tests.whatsapp_stub import WhatsAppStub

    with WhatsAppStub() as stub:
        settings.WHATSAPP_API_BASE = stub.url + "/v21.0"
        settings.WHATSAPP_TOKEN = "wa-test-token"
        settings.WHATSAPP_PHONE_NUMBER_ID = "1234567890"
        yield stub


def test_a_whatsapp_conversation_gets_the_operator_reply_once_named_even_if_sent_again(
    whatsapp, django_capture_on_commit_callbacks
):
    from core.outbox.services import deliveries_send, delivery_send

    customer = Customer.objects.create(name="Ann", phone="+15551234567")
    # She wrote to us a minute ago: inside WhatsApp's 24-hour window, any text may go.
    WhatsAppContact.objects.create(phone=customer.phone, customer=customer, last_inbound_at=timezone.now())
    conversation = ConversationFactory(customer=customer, channel="whatsapp")
    with django_capture_on_commit_callbacks(execute=True):
        reply = operator_reply_send(
            conversation_id=conversation.id, operator=operator(), content="Your part ships today."
        )
    delivery = OutboundDelivery.objects.get(kind="conversations.operator_reply")
    assert delivery.key == f"operator_reply:{reply.id}:whatsapp" and delivery.status == "sent"
    # A second send of the same delivery (a repeated task) sends nothing more.
    delivery_send(delivery_id=delivery.pk)
    deliveries_send(delivery_ids=[delivery.pk])
    assert len(whatsapp.requests) == 1
    sent = whatsapp.requests[0]
    assert sent["json"]["to"] == "15551234567"
    assert sent["json"]["text"]["body"].startswith("Dana (") and sent["json"]["text"]["body"].endswith(
        "): Your part ships today."
    )
    assert sent["headers"]["Idempotency-Key"] == delivery.key


def test_a_reply_that_cannot_be_delivered_leaves_a_note_for_the_operators(whatsapp, django_capture_on_commit_callbacks):
    whatsapp.respond_with = (400, {"error": {"message": "Recipient phone number not in allowed list"}})
    customer = Customer.objects.create(name="Ann", phone="+15551234567")
    WhatsAppContact.objects.create(phone=customer.phone, customer=customer, last_inbound_at=timezone.now())
    conversation = ConversationFactory(customer=customer, channel="whatsapp")
    with django_capture_on_commit_callbacks(execute=True):
        operator_reply_send(conversation_id=conversation.id, operator=operator(), content="Hello?")
    assert OutboundDelivery.objects.get(kind="conversations.operator_reply").status == "failed"
    note = ConversationNote.objects.get(conversation=conversation)
    assert "could not be sent by whatsapp" in note.content and "not in allowed list" in note.content


def test_outside_whatsapps_window_the_operator_reply_goes_by_email(whatsapp, django_capture_on_commit_callbacks):
    customer = Customer.objects.create(name="Ann", phone="+15551234567", email="ann@example.com")
    conversation = ConversationFactory(customer=customer, channel="whatsapp")  # never wrote in the last 24 h
    with django_capture_on_commit_callbacks(execute=True):
        operator_reply_send(conversation_id=conversation.id, operator=operator(), content="Your part ships today.")
    assert whatsapp.requests == []
    assert [m.to for m in mail.outbox] == [["ann@example.com"]] and "Your part ships today." in mail.outbox[0].body
    assert OutboundDelivery.objects.get(kind="conversations.operator_reply").status == "sent"


def test_a_refund_asked_for_again_after_the_team_declined_it_offers_a_person():
    from actions.models import Action
    from conversations.assistant.draft import Draft
    from conversations.services.handoff_offers import handoff_offer_reason

    conversation = ConversationFactory()
    message = customer_message_handle(conversation=conversation, content="I want a refund")[0]
    Action.objects.create(
        conversation=conversation, message=message, type="refund_request", label="Request a refund", status="denied"
    )
    draft = Draft(content="…", intent="refund_request")
    assert handoff_offer_reason(conversation_id=conversation.id, user_message=message, draft=draft) == "dispute"


def test_a_conversation_whose_operator_account_is_gone_can_be_taken():
    dana, sam = operator(), operator("sam", "Sam")
    conversation = ConversationFactory()
    handoff_claim(conversation_id=conversation.id, operator=dana)
    dana.delete()
    assert handling(conversation) == (Handling.ASSIGNED, None)
    operator_reply_send(conversation_id=conversation.id, operator=sam, content="Sam here, picking this up.")
    assert handling(conversation) == (Handling.ASSIGNED, sam.pk)
