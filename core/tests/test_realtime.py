"""The one push entry point: after commit, never for a rollback; streamed tokens at once."""

import pytest
from django.db import transaction

from core import realtime

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_push_waits_for_the_commit_and_a_rollback_sends_nothing(capture_realtime):
    with transaction.atomic():
        realtime.send_event_on_commit("conversation.a", {"type": "message", "seq": 1})
        assert capture_realtime.pushed == []
    assert capture_realtime.events(group="conversation.a") == [{"type": "message", "seq": 1}]

    with pytest.raises(RuntimeError), transaction.atomic():
        realtime.send_event_on_commit("conversation.a", {"type": "message", "seq": 2})
        raise RuntimeError("rolled back")
    assert capture_realtime.types() == ["message"]


def test_an_event_built_after_commit_sees_the_committed_state_and_none_sends_nothing(capture_realtime):
    state = {"status": "before"}
    with transaction.atomic():
        realtime.send_event_on_commit("operators", lambda: {"type": "operator.action", **state})
        realtime.send_event_on_commit("operators", lambda: None)
        state["status"] = "committed"
    assert capture_realtime.events(group="operators") == [{"type": "operator.action", "status": "committed"}]


def test_a_failing_builder_is_logged_and_the_commit_stands(capture_realtime, caplog):
    with transaction.atomic():
        realtime.send_event_on_commit("operators", lambda: 1 / 0)
        realtime.send_event_on_commit("operators", {"type": "typing", "active": False})
    assert capture_realtime.types() == ["typing"]
    assert "could not be built" in caplog.text


def test_streamed_tokens_go_at_once_even_inside_a_transaction(capture_realtime):
    with transaction.atomic():
        realtime.stream_now("conversation.a", {"type": "token", "seq": 1, "delta": "Hi"})
        assert capture_realtime.types() == ["token"]


def test_a_conversation_event_without_its_seq_is_refused():
    with pytest.raises(AssertionError, match="seq"):
        realtime.stream_now("conversation.a", {"type": "typing", "active": True})
    with pytest.raises(AssertionError, match="seq"):
        realtime.send_event_on_commit("conversation.a", {"type": "message", "seq": True})
    realtime.stream_now("operators", {"type": "operator.action"})  # the inbox has no seq


async def test_a_request_thread_hands_in_memory_pushes_to_the_server_loop_in_order_without_waiting(settings):
    """As under Daphne: a sync view runs in a thread while the server's loop waits for it; its
    pushes to the in-memory layer are handed to that loop (the view does not wait for them to be
    made) and arrive in the order they were made."""
    import asyncio

    from asgiref.sync import sync_to_async
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    try:
        layer = realtime.get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add("conversation.a", channel)
        gate, group_send = asyncio.Event(), layer.group_send

        async def held(group, message):  # the loop busy elsewhere: no push is made until the view is done
            await gate.wait()
            await group_send(group, message)

        layer.group_send = held

        def view() -> None:
            for seq in range(1, 6):
                realtime.stream_now("conversation.a", {"type": "token", "seq": seq})

        await asyncio.wait_for(sync_to_async(view)(), timeout=30)  # a view waiting on its pushes would hang here
        gate.set()
        assert [(await layer.receive(channel))["seq"] for _ in range(5)] == [1, 2, 3, 4, 5]
    finally:
        channel_layers.backends.clear()
