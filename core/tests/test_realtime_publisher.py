"""Pushes through a cross-process layer leave from the publisher thread, in order, none lost."""

import asyncio

import pytest

from core import realtime

pytestmark = pytest.mark.redis


def test_many_pushes_from_sync_code_arrive_in_order(redis_layer):
    # 90: below channels_redis' default per-channel capacity of 100 unread messages.
    async def listen():
        channel = await redis_layer.new_channel()
        await redis_layer.group_add("conversation.publisher-test", channel)
        return channel

    loop = asyncio.new_event_loop()
    try:
        channel = loop.run_until_complete(listen())
        for n in range(90):
            realtime.stream_now("conversation.publisher-test", {"type": "message", "seq": n, "n": n})
        realtime.flush()

        async def receive_all():
            return [(await asyncio.wait_for(redis_layer.receive(channel), 5))["n"] for _ in range(90)]

        assert loop.run_until_complete(receive_all()) == list(range(90))
        loop.run_until_complete(redis_layer.group_discard("conversation.publisher-test", channel))
    finally:
        loop.close()


def test_pushes_sent_together_reach_each_member_in_order_across_groups(redis_layer):
    """`group_send_many`: one channel in two groups, another in one, a process's channels
    sharing one Redis queue; each gets its messages in the order given, once."""

    async def scenario():
        first, second = await redis_layer.new_channel(), await redis_layer.new_channel()
        await redis_layer.group_add("conversation.many-a", first)
        await redis_layer.group_add("conversation.many-a", second)
        await redis_layer.group_add("conversation.many-b", first)
        await redis_layer.group_send_many(
            [
                ("conversation.many-a", {"type": "message", "n": 1}),
                ("conversation.many-b", {"type": "message", "n": 2}),
                ("conversation.many-empty", {"type": "message", "n": 0}),
                ("conversation.many-a", {"type": "message", "n": 3}),
            ]
        )
        await redis_layer.group_send_many([("conversation.many-b", {"type": "message", "n": 4})])
        got_first = [(await asyncio.wait_for(redis_layer.receive(first), 5))["n"] for _ in range(4)]
        got_second = [(await asyncio.wait_for(redis_layer.receive(second), 5))["n"] for _ in range(2)]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(redis_layer.receive(second), 0.2)
        for group, channel in (("many-a", first), ("many-a", second), ("many-b", first)):
            await redis_layer.group_discard(f"conversation.{group}", channel)
        return got_first, got_second

    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(scenario()) == ([1, 2, 3, 4], [1, 3])
    finally:
        loop.close()
