import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from conversations.models import Message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = [(b"origin", b"http://127.0.0.1:8000")]


async def connect(conversation_id, token, origin=ORIGIN, query=""):
    path = f"/ws/chat/{conversation_id}/?token={token}{query}"
    communicator = WebsocketCommunicator(application, path, headers=origin)
    connected, code = await communicator.connect()
    return communicator, connected, code


@database_sync_to_async
def new_conversation():
    from conversations.services.conversations import conversation_start

    return conversation_start()


async def receive_until(communicator, event_type, limit=10):
    seen = []
    for _ in range(limit):
        event = await communicator.receive_json_from(timeout=5)
        seen.append(event)
        if event["type"] == event_type:
            return event, seen
    raise AssertionError(f"no {event_type} in {seen}")


async def test_message_over_socket_gets_typing_echo_and_reply(shop):
    conversation, token = await new_conversation()
    ws, connected, _ = await connect(conversation.id, token)
    assert connected
    await ws.send_json_to(
        {"type": "message", "content": "Is PS11750057 compatible with my WDT780SAEM1?", "client_message_id": "m1"}
    )
    echo, before = await receive_until(ws, "message")
    assert echo["message"]["role"] == "user"
    reply, seen = await receive_until(ws, "message")
    assert reply["message"]["role"] == "assistant"
    assert reply["message"]["actions"][0]["type"] == "checkout_now"
    # Every frame names the seq it relates to: the message's own, typing the message answered.
    assert echo["seq"] == echo["message"]["seq"] and reply["seq"] == reply["message"]["seq"] == echo["seq"] + 1
    assert {"type": "typing", "active": True, "seq": echo["seq"]} in before + seen
    after, _ = await receive_until(ws, "typing")
    assert after == {"type": "typing", "active": False, "seq": reply["seq"]}
    await ws.send_json_to({"type": "action.click", "action_id": reply["message"]["actions"][0]["id"]})
    status, _ = await receive_until(ws, "action.status")
    assert status["status"] == "clicked"
    assert status["action_id"] == reply["message"]["actions"][0]["id"]
    assert status["seq"] == reply["seq"]  # the message the button belongs to
    await ws.disconnect()


async def test_wrong_token_or_unknown_conversation_is_refused(shop):
    conversation, token = await new_conversation()
    _other, other_token = await new_conversation()
    _, connected, code = await connect(conversation.id, other_token)
    assert not connected and code == 4403
    _, connected, code = await connect("conv_missing", token)
    assert not connected
    _, connected, code = await connect(conversation.id, "")
    assert not connected


async def test_foreign_origin_is_refused(shop):
    conversation, token = await new_conversation()
    _, connected, _ = await connect(conversation.id, token, origin=[(b"origin", b"https://evil.example")])
    assert not connected


async def test_bad_frames_get_error_events_and_the_socket_stays_open(shop):
    conversation, token = await new_conversation()
    ws, _, _ = await connect(conversation.id, token)
    await ws.send_to(text_data="{not json")
    assert (await ws.receive_json_from())["code"] == "invalid_json"
    await ws.send_to(text_data=json.dumps([1, 2]))
    assert (await ws.receive_json_from())["code"] == "invalid_event"
    await ws.send_json_to({"type": "launch.missiles"})
    assert (await ws.receive_json_from())["code"] == "unknown_type"
    await ws.send_json_to({"type": "message", "content": ""})
    assert (await ws.receive_json_from())["code"] == "message_empty"
    await ws.send_json_to({"type": "message", "content": {"$gt": ""}})
    assert (await ws.receive_json_from())["code"] == "message_invalid"
    await ws.send_json_to({"type": "action.click", "action_id": "act_other"})
    assert (await ws.receive_json_from())["code"] == "action_not_found"
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from() == {"type": "pong"}
    assert await database_sync_to_async(Message.objects.filter(conversation=conversation).count)() == 1
    await ws.disconnect()


async def test_frames_no_handler_could_take_get_error_events_and_the_socket_stays_open(shop):
    conversation, token = await new_conversation()
    ws, _, _ = await connect(conversation.id, token)
    frames = {
        '{"type": "ping", "x": ' + "[" * 5000 + "]" * 5000 + "}": "json_too_deep",  # was: closed with 1011
        '{"type": "ping", "x": ' + "[" * 40 + "]" * 40 + "}": "json_too_deep",
        json.dumps({"type": "history", "after": "msg_\u0000"}): "invalid_characters",  # was: server_error
        '{"type": "message", "content": "hi \\ud800"}': "invalid_characters",
        json.dumps({"type": "message", "content": "hi", "client_message_id": "a\u0000"}): "invalid_characters",
        '{"type": "ping", "n": NaN}': "invalid_json",
    }
    for frame, code in frames.items():
        await ws.send_to(text_data=frame)
        event = await ws.receive_json_from()
        assert (event["type"], event["code"]) == ("error", code), frame[:60]
    await ws.send_to(bytes_data=b"\x00\x01")
    assert (await ws.receive_json_from())["code"] == "invalid_frame"
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from() == {"type": "pong"}
    assert await database_sync_to_async(Message.objects.filter(conversation=conversation).count)() == 1
    await ws.disconnect()


async def test_a_handler_that_fails_answers_server_error_and_keeps_the_socket(shop, monkeypatch):
    from conversations import consumers

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(consumers, "messages_list", broken)
    conversation, token = await new_conversation()
    ws, _, _ = await connect(conversation.id, token)
    await ws.send_json_to({"type": "history"})
    assert (await ws.receive_json_from())["code"] == "server_error"
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from() == {"type": "pong"}
    await ws.disconnect()


async def test_an_unknown_socket_path_is_closed_politely(shop):
    communicator = WebsocketCommunicator(application, "/ws/nowhere/", headers=ORIGIN)
    connected, _ = await communicator.connect()  # was: no route, an HTTP 500

    assert connected
    assert (await communicator.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4404}


async def test_reconnecting_client_gets_what_it_missed(shop):
    conversation, token = await new_conversation()
    first = await database_sync_to_async(lambda: Message.objects.get(conversation=conversation))()

    @database_sync_to_async
    def speak():
        from conversations.services.replies import customer_message_handle

        return customer_message_handle(conversation=conversation, content="Is PS12584610 in stock?")

    user_message, reply = await speak()  # said while no socket was open
    ws, connected, _ = await connect(conversation.id, token, query=f"&after={first.id}")
    assert connected
    history = await ws.receive_json_from()
    assert history["type"] == "history"
    assert [m["id"] for m in history["messages"]] == [user_message.id, reply.id]
    await ws.send_json_to({"type": "history", "after": reply.id})
    assert (await ws.receive_json_from()) == {"type": "history", "messages": []}
    await ws.disconnect()


async def test_history_after_seq_gives_what_follows_and_bad_values_are_refused(shop):
    conversation, token = await new_conversation()

    @database_sync_to_async
    def speak():
        from conversations.services.replies import customer_message_handle

        return customer_message_handle(conversation=conversation, content="Is PS12584610 in stock?")

    user_message, reply = await speak()
    ws, connected, _ = await connect(conversation.id, token, query=f"&after_seq={user_message.seq - 1}")
    assert connected
    history = await ws.receive_json_from()
    assert [(m["id"], m["seq"]) for m in history["messages"]] == [
        (user_message.id, user_message.seq),
        (reply.id, reply.seq),
    ]
    await ws.send_json_to({"type": "history", "after_seq": reply.seq - 1})
    assert [m["id"] for m in (await ws.receive_json_from())["messages"]] == [reply.id]
    await ws.send_json_to({"type": "history", "after_seq": 0})
    assert len((await ws.receive_json_from())["messages"]) == 3  # welcome, question, reply
    for bad in [-1, 1.5, "x", True, 2**40, [1]]:
        await ws.send_json_to({"type": "history", "after_seq": bad})
        answer = await ws.receive_json_from()
        assert answer.get("code") == "history_invalid", (bad, answer)
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from() == {"type": "pong"}
    await ws.disconnect()


async def test_a_resync_from_the_layer_reaches_the_socket(shop):
    from channels.layers import get_channel_layer

    from core import realtime

    conversation, token = await new_conversation()
    ws, _, _ = await connect(conversation.id, token)
    await get_channel_layer().group_send(realtime.conversation_group(conversation.id), dict(realtime.RESYNC_EVENT))
    assert await ws.receive_json_from(timeout=5) == {"type": "resync"}
    await ws.disconnect()


async def test_other_conversations_events_do_not_leak(shop):
    a, a_token = await new_conversation()
    b, b_token = await new_conversation()
    ws_a, _, _ = await connect(a.id, a_token)
    ws_b, _, _ = await connect(b.id, b_token)
    await ws_b.send_json_to({"type": "message", "content": "hello"})
    await receive_until(ws_b, "message")
    assert await ws_a.receive_nothing(timeout=0.5)
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_operator_socket_needs_staff(shop):
    ws = WebsocketCommunicator(application, "/ws/operators/", headers=ORIGIN)
    connected, code = await ws.connect()
    assert not connected
    assert code == 4403


@pytest.mark.parametrize(
    ("path", "query"),
    [("/ws/chat/conv_\x00x/", "token=t"), ("/ws/chat/conv_x/", "token=a%00b"), ("/ws/chat/\ud800/", "")],
)
async def test_nul_or_a_lone_surrogate_in_the_socket_url_is_refused_politely(shop, path, query):
    communicator = WebsocketCommunicator(application, f"{path}?{query}", headers=ORIGIN)
    connected, code = await communicator.connect()

    assert not connected and code == 4400


async def test_a_message_sent_too_fast_is_refused_naming_it_and_when_to_send_it_again(shop, settings):
    settings.PARLEY_RATE_LIMIT_PER_MINUTE = 1
    conversation, token = await new_conversation()
    ws, connected, _ = await connect(conversation.id, token)
    assert connected
    await ws.send_json_to({"type": "message", "content": "Hello", "client_message_id": "first"})
    await receive_until(ws, "message")
    await ws.send_json_to({"type": "message", "content": "Hello again", "client_message_id": "second"})
    refused, _ = await receive_until(ws, "error")
    assert refused["code"] == "rate_limited"
    assert refused["client_message_id"] == "second"
    assert 0 < refused["retry_after"] <= 60
    # Nothing of it was stored: sent again later under the same id, it is a new message.
    assert not await database_sync_to_async(Message.objects.filter(client_message_id="second").exists)()


async def test_any_frame_refused_by_a_rate_limit_says_when_to_try_again(monkeypatch):
    """Before: only `message` refusals carried `retry_after`; a click or a handoff request met by a
    limit came back as a bare error frame the page could not count down."""
    from conversations import consumers
    from core.exceptions import RateLimited

    async def limited(conversation, action_id):
        raise RateLimited("Too many alerts. Try again in 42 s.", retry_after=42)

    monkeypatch.setattr(consumers, "_click", limited)
    conversation, token = await new_conversation()
    ws, connected, _ = await connect(conversation.id, token)
    assert connected
    await ws.send_json_to({"type": "action.click", "action_id": "act_x"})
    refused = await ws.receive_json_from(timeout=5)
    assert (refused["type"], refused["code"], refused["retry_after"]) == ("error", "rate_limited", 42)
    await ws.disconnect()


async def test_pushed_frames_and_pings_do_not_hop_to_the_database_thread(monkeypatch):
    """Consumers call the database only through database_sync_to_async (which closes stale
    connections itself): Channels' close_old_connections hop before every message is skipped."""
    import channels.consumer
    from channels.layers import get_channel_layer

    from core import realtime

    conversation, token = await new_conversation()
    ws, connected, _ = await connect(conversation.id, token)
    assert connected
    hops = []

    async def counted():
        hops.append(1)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    event = {"type": "action.status", "action_id": "act_x", "status": "approved", "enabled": False, "seq": 0}
    await get_channel_layer().group_send(realtime.conversation_group(conversation.id), event)
    assert await ws.receive_json_from(timeout=5) == event
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from(timeout=5) == {"type": "pong"}
    assert hops == []
    await ws.disconnect()
