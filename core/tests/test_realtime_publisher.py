"""Pushes through a cross-process layer leave from the publisher thread, in order, none lost."""

import asyncio
import os

import pytest
from channels.layers import channel_layers
from django.test import override_settings

from core import realtime

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_layer():
    settings = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ.get("REDIS_URL", "")], "prefix": f"parley-test-{os.getpid()}"},
        }
    }
    with override_settings(CHANNEL_LAYERS=settings):
        channel_layers.backends.clear()
        yield channel_layers["default"]
    channel_layers.backends.clear()


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
