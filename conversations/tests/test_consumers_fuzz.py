"""A hypothesis-driven client for the chat socket: any frame (known and unknown types, fields of
any JSON, NUL and lone surrogates, deep nesting, not JSON at all, binary) gets an answer and the
socket stays open; nothing is a `server_error` and nothing logs a traceback."""

import json
import logging

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from hypothesis import given
from hypothesis import strategies as st

from config.asgi import application
from conversations.services.conversations import conversation_start
from core.testing.fuzz import bounded, json_values
from core.testing.sockets import frame_effects

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://127.0.0.1:8000")]
TYPES = ["message", "action.click", "history", "ping", "pong", "message.edit", "", "typing"]
FIELDS = ["content", "client_message_id", "action_id", "after", "type", "x"]

texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "msg_\udfff", "PS11750057", "act_x", "conv_x", " ", "ü" * 3000]),
)
values = json_values(texts, keys=texts, max_size=3, max_leaves=12)
objects = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(TYPES), texts, values)},
    optional={name: values for name in FIELDS if name != "type"},
)
well_formed = st.fixed_dictionaries(  # the protocol's own frames with odd values: they reach the handlers
    {"type": st.sampled_from(["message", "action.click", "history", "ping"])},
    optional={"content": texts, "client_message_id": texts, "action_id": texts, "after": st.one_of(texts, values)},
)
raw = st.one_of(
    well_formed.map(json.dumps),
    well_formed.map(json.dumps),
    objects.map(json.dumps),
    st.integers(2, 60).map(lambda depth: '{"type": "ping", "x": ' + "[" * depth + "]" * depth + "}"),
    st.just('{"type": "ping", "x": ' + "[" * 3000 + "]" * 3000 + "}"),
    st.text(min_size=1, max_size=30),  # (the test communicator cannot send an empty frame)
    st.binary(min_size=1, max_size=30),
)


async def exchange(conversation_id, token, frame):
    """Send the frame, then a ping; everything up to the pong is what the frame caused."""
    ws = WebsocketCommunicator(application, f"/ws/chat/{conversation_id}/?token={token}", headers=ORIGIN)
    connected, _ = await ws.connect(timeout=30)  # the default 1 s is too short on a loaded machine
    assert connected
    events = await frame_effects(ws, frame)
    await ws.disconnect()
    return events


def test_any_frame_is_answered_and_the_socket_stays_open(shop, settings_override, caplog):
    conversation, token = conversation_start()
    # Warm the assistant up (search index, embeddings) so no example pays for it.
    async_to_sync(exchange)(conversation.id, token, json.dumps({"type": "message", "content": "PS11750057?"}))
    caplog.set_level(logging.ERROR)
    seen = {}

    @bounded(300)
    @given(frame=raw)
    def run(frame):
        events = async_to_sync(exchange)(conversation.id, token, frame)
        for event in events:
            key = event.get("code", event["type"])
            seen[key] = seen.get(key, 0) + 1
            assert event.get("code") != "server_error", (frame[:80], event)

    run()
    print("socket fuzz answers", dict(sorted(seen.items())))
    tracebacks = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert not tracebacks, tracebacks[:3]
    assert {"invalid_json", "json_too_deep", "invalid_characters", "unknown_type"} <= set(seen)
    assert {"history", "message", "action_not_found"} <= set(seen)  # the handlers themselves were reached


@pytest.fixture
def settings_override(settings):
    settings.PARLEY_RATE_LIMIT_PER_MINUTE = settings.PARLEY_RATE_LIMIT_PER_HOUR = 0
    # What a frame holds, not its length (a few escaped 3,000-character strings pass 64 KiB): the
    # cap on frame length is core/tests/test_edge.py's.
    settings.PARLEY_SOCKET_FRAME_MAX_CHARS = 10**6
