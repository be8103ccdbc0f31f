"""The operator socket under a hypothesis-driven client (any frame of its types, odd values, ids
of conversations that are not there or belong to anyone), and the chat socket between two
customers: one customer's token never opens, clicks into or reads another's conversation."""

import json
import logging

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from actions.tests.factories import ActionFactory
from config.asgi import application
from conversations.tests.factories import ConversationFactory
from core.testing.fuzz import bounded, json_values
from core.testing.sockets import frame_effects

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
TYPES = ["conversation.open", "conversation.read", "typing", "snapshot", "ping", "message", "", "operator.note"]

texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["\x00", "conv_\ud800", "conv_x", " ", "%", "conv_" + "a" * 5000, "REAL"]),
)
values = json_values(texts, keys=texts, max_size=3, max_leaves=8)
frames = st.one_of(
    st.fixed_dictionaries(
        {"type": st.one_of(st.sampled_from(TYPES), texts)},
        optional={"conversation_id": values, "seq": values, "active": values},
    ),
    st.fixed_dictionaries(  # the protocol's own frames with plausible values: they reach the services
        {
            "type": st.sampled_from(["conversation.open", "conversation.read", "typing"]),
            "conversation_id": st.sampled_from(["REAL", "REAL", "conv_x", "conv_" + "x" * 40, "0"]),
        },
        optional={
            "seq": st.one_of(st.none(), st.integers(-2, 2**40), st.booleans()),
            "active": st.booleans(),
        },
    ),
)


async def _exchange(cookie, frame):
    ws = WebsocketCommunicator(application, "/ws/operators/", headers=[ORIGIN, (b"cookie", cookie)])
    connected, _ = await ws.connect(timeout=30)
    assert connected
    snapshot = await ws.receive_json_from(timeout=30)
    assert snapshot["type"] == "operator.snapshot"
    events = await frame_effects(ws, frame)
    await ws.disconnect()
    return events


def test_any_operator_frame_is_answered_and_the_socket_stays_open(caplog):
    user = get_user_model().objects.create_user(username="op", password="pw-12345678", is_staff=True)
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    conversation = ConversationFactory()
    caplog.set_level(logging.ERROR)
    seen = {}

    @bounded(80)
    @given(frame=frames)
    def run(frame):
        if frame.get("conversation_id") == "REAL":
            frame["conversation_id"] = conversation.id
        try:
            text = json.dumps(frame)
        except (TypeError, ValueError):
            return
        for event in async_to_sync(_exchange)(cookie, text):
            key = event.get("code", event["type"])
            seen[key] = seen.get(key, 0) + 1
            assert event.get("code") != "server_error", (text[:80], event)

    run()
    print("operator socket fuzz answers", dict(sorted(seen.items())))
    tracebacks = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert not tracebacks, tracebacks[:3]
    assert "unknown_type" in seen and "conversation_not_found" in seen


async def _chat(conversation_id, token):
    ws = WebsocketCommunicator(application, f"/ws/chat/{conversation_id}/?token={token}", headers=[ORIGIN])
    connected, code = await ws.connect(timeout=30)
    return ws, connected, code


async def _answers(ws, frame):
    await ws.send_json_to(frame)
    await ws.send_json_to({"type": "ping"})
    events = []
    while (event := await ws.receive_json_from(timeout=30))["type"] != "pong":
        events.append(event)
    return events


def test_one_customers_socket_never_reaches_anothers_conversation():
    mine, theirs = ConversationFactory(), ConversationFactory()
    action = ActionFactory(
        conversation=theirs, message__content="Ask?", type="policy_exception", label="Ask", payload={"reason": "x"}
    )
    their_message, status_before = action.message, action.status

    async def scenario():
        # My token on their conversation's address: refused before anything is sent.
        _ws, connected, code = await _chat(theirs.id, mine.token)
        assert not connected and code == 4403
        ws, connected, _ = await _chat(mine.id, mine.token)
        assert connected
        clicked = await _answers(ws, {"type": "action.click", "action_id": action.id})
        history = await _answers(ws, {"type": "history", "after": their_message.id})
        await ws.disconnect()
        return clicked, history

    clicked, history = async_to_sync(scenario)()

    assert [e.get("code") for e in clicked] == ["action_not_found"]
    assert all(m["id"] != their_message.id for e in history for m in e.get("messages", []))
    action.refresh_from_db()
    assert action.status == status_before
