"""Group memberships Redis lost are added again, and their sockets told (core.channel_layer).

Found by the outside chaos run: after Redis lost its data (a restart without persistence, here a
FLUSHALL of its own Redis), a connected chat socket still answered pings but never received a
push again: the customer's replies went nowhere until a reload.
"""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from conversations.services.conversations import conversation_start
from core import channel_layer, realtime

pytestmark = pytest.mark.redis

ORIGIN = [(b"origin", b"http://127.0.0.1:8000")]


def test_a_lost_membership_is_added_again_and_its_channel_told(redis_layer):
    async def scenario():
        kept, lost, left = [await redis_layer.new_channel() for _ in range(3)]
        for channel in (kept, lost, left):
            await redis_layer.group_add("conversation.keeper-test", channel)
        await redis_layer.group_discard("conversation.keeper-test", left)
        connection = redis_layer.connection(redis_layer.consistent_hash("conversation.keeper-test"))
        await connection.zrem(redis_layer._group_key("conversation.keeper-test"), lost)  # what a restart leaves

        told = await redis_layer.memberships_check()
        members = await connection.zrange(redis_layer._group_key("conversation.keeper-test"), 0, -1)
        notice = await asyncio.wait_for(redis_layer.receive(lost), 5)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(redis_layer.receive(kept), 0.3)
        await redis_layer.group_discard("conversation.keeper-test", kept)
        await redis_layer.group_discard("conversation.keeper-test", lost)
        return told, sorted(m.decode() for m in members), notice, kept, lost

    told, members, notice, kept, lost = async_to_sync(scenario)()
    assert told == [lost]
    assert members == sorted([kept, lost])  # the lost one back, the one that left not
    assert notice == {"type": "layer.memberships_lost"}


def test_memberships_are_checked_in_batches_and_every_loss_found(redis_layer, monkeypatch):
    monkeypatch.setattr(channel_layer, "CHECK_BATCH", 2)
    group = "conversation.keeper-batches"

    async def scenario():
        channels = [await redis_layer.new_channel() for _ in range(5)]
        for channel in channels:
            await redis_layer.group_add(group, channel)
        connection = redis_layer.connection(redis_layer.consistent_hash(group))
        pipelines = []
        real_pipeline = connection.pipeline

        def counted(*args, **kwargs):
            pipelines.append(1)
            return real_pipeline(*args, **kwargs)

        monkeypatch.setattr(connection, "pipeline", counted)
        lost = [channels[0], channels[3], channels[4]]  # in the first, second and third batch
        await connection.zrem(redis_layer._group_key(group), *lost)
        told = await redis_layer.memberships_check()
        members = await connection.zrange(redis_layer._group_key(group), 0, -1)
        for channel in channels:
            await redis_layer.group_discard(group, channel)
        return told, sorted(lost), sorted(m.decode() for m in members), sorted(channels), len(pipelines)

    told, lost, members, channels, pipelines = async_to_sync(scenario)()
    assert told == lost
    assert members == channels
    assert pipelines == 3  # five memberships, two a pipeline


@pytest.mark.django_db(transaction=True)
def test_a_chat_socket_whose_group_redis_lost_is_closed_4503_to_reconnect(redis_layer):
    conversation, token = conversation_start()
    group = realtime.conversation_group(conversation.id)

    async def scenario():
        from config.asgi import application

        ws = WebsocketCommunicator(application, f"/ws/chat/{conversation.id}/?token={token}", headers=ORIGIN)
        connected, _ = await ws.connect(timeout=30)
        assert connected
        connection = redis_layer.connection(redis_layer.consistent_hash(group))
        await connection.delete(redis_layer._group_key(group))  # Redis restarted empty
        told = await redis_layer.memberships_check()
        closed = await ws.receive_output(timeout=30)
        await ws.wait()
        return told, closed

    told, closed = async_to_sync(scenario)()
    assert len(told) == 1
    assert closed == {"type": "websocket.close", "code": 4503}
