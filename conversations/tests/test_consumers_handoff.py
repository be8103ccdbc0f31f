"""The handoff on the sockets: the customer's `handoff` frames at every transition, the operator's
message and typing indicator, the inbox's `operator.handoff`, and the assistant's silence."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from conversations.tests.test_operator import ORIGIN, operator_socket, receive_until, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def conversation():
    from conversations.tests.factories import ConversationFactory

    return ConversationFactory(customer_name="Ann")


@database_sync_to_async
def call(path, **kwargs):
    from importlib import import_module

    module, name = path.rsplit(".", 1)
    return getattr(import_module(module), name)(**kwargs)


async def customer_socket(conv):
    communicator = WebsocketCommunicator(application, f"/ws/chat/{conv.id}/?token={conv.token}", headers=[ORIGIN])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_every_transition_reaches_the_customer_and_the_inbox():
    conv = await conversation()
    dana, cookie = await session_cookie("dana")
    await database_sync_to_async(lambda: type(dana).objects.filter(pk=dana.pk).update(first_name="Dana"))()
    dana.first_name = "Dana"
    chat = await customer_socket(conv)
    inbox, connected, _ = await operator_socket(cookie)
    assert connected
    await receive_until(inbox, "operator.snapshot")

    await chat.send_json_to({"type": "handoff.request"})
    frame = await receive_until(chat, "handoff")
    assert frame["handoff"]["state"] == "waiting_for_human" and isinstance(frame["seq"], int)
    seen = await receive_until(inbox, "operator.handoff")
    assert seen["conversationId"] == conv.id and seen["handoff"]["state"] == "waiting_for_human"

    await call("conversations.services.handoff.handoff_claim", conversation_id=conv.id, operator=dana)
    notice = await receive_until(chat, "message")
    assert notice["message"]["type"] == "handoff" and "Dana" in notice["message"]["content"]
    frame = await receive_until(chat, "handoff")
    assert frame["handoff"] == {
        "state": "assigned",
        "operator": {"name": "Dana"},
        "afterHours": False,
        "nextOpening": None,
        "emailWanted": False,
        "canRate": False,
    }

    # The operator types (from the inbox socket) and answers: the customer sees both, named.
    await inbox.send_json_to({"type": "typing", "conversation_id": conv.id, "active": True})
    typing = await receive_until(chat, "typing")
    assert typing["role"] == "operator" and typing["name"] == "Dana" and typing["active"] is True
    await call(
        "conversations.services.operator_replies.operator_reply_send",
        conversation_id=conv.id,
        operator=dana,
        content="Hi Ann, how can I help?",
    )
    said = await receive_until(chat, "message")
    assert said["message"]["role"] == "operator" and said["message"]["operator"] == {"name": "Dana"}

    # The customer writes: stored, heard by the inbox, no assistant typing or reply.
    await chat.send_json_to({"type": "message", "content": "my fridge is warm", "client_message_id": "c1"})
    echoed = await receive_until(chat, "message")
    assert echoed["message"]["role"] == "user"
    await receive_until(inbox, "operator.conversation")
    assert await chat.receive_nothing(timeout=0.3)

    await call("conversations.services.handoff.handoff_resolve", conversation_id=conv.id, actor=dana)
    frame = await receive_until(chat, "handoff")
    assert frame["handoff"]["state"] == "resolved" and frame["handoff"]["canRate"] is True
    await chat.send_json_to({"type": "message", "content": "is PS11750057 in stock?", "client_message_id": "c2"})
    reply = await receive_until(chat, "message", lambda e: e["message"]["role"] == "assistant")
    assert reply["message"]["content"]
    await chat.disconnect()
    await inbox.disconnect()


async def test_only_the_holder_shows_as_typing():
    conv = await conversation()
    dana, _ = await session_cookie("dana")
    _, sam_cookie = await session_cookie("sam")
    await call("conversations.services.handoff.handoff_claim", conversation_id=conv.id, operator=dana)
    chat = await customer_socket(conv)
    inbox, _, _ = await operator_socket(sam_cookie)
    await receive_until(inbox, "operator.snapshot")
    await inbox.send_json_to({"type": "typing", "conversation_id": conv.id, "active": True})
    refused = await receive_until(inbox, "error")
    assert refused["code"] == "handoff_assigned_to_other"
    await inbox.send_json_to({"type": "typing", "conversation_id": conv.id, "active": "yes"})
    assert (await receive_until(inbox, "error"))["code"] == "typing_invalid"
    assert await chat.receive_nothing(timeout=0.3)
    await chat.disconnect()
    await inbox.disconnect()
