"""A push the channel layer refuses is retried in order, then dropped and counted; once the layer
answers again, the groups that saw a failure get `resync` (a fake cross-process layer)."""

import pytest

from core import realtime


class FlakyLayer:
    """Refuses the first `failures` sends, then takes everything (not an in-memory layer, so
    pushes go through the publisher thread)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts = 0
        self.sent: list[tuple[str, dict]] = []

    async def group_send(self, group, event):
        self.attempts += 1
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker stalled")
        self.sent.append((group, event))


@pytest.fixture
def publisher(monkeypatch):
    fresh = realtime._Publisher()
    monkeypatch.setattr(realtime, "_publisher", fresh)
    return fresh


def test_refused_pushes_are_retried_in_order_then_the_failed_group_gets_resync(publisher, monkeypatch, settings):
    settings.PARLEY_REALTIME_RETRY_SECONDS = 5
    layer = FlakyLayer(failures=3)
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)

    realtime.stream_now("conversation.a", {"type": "message", "seq": 1})
    realtime.stream_now("conversation.b", {"type": "message", "seq": 1})
    realtime.stream_now("conversation.a", {"type": "message", "seq": 2})
    realtime.flush()

    assert layer.sent == [
        ("conversation.a", {"type": "message", "seq": 1}),
        ("conversation.a", {"type": "resync"}),
        ("conversation.b", {"type": "message", "seq": 1}),
        ("conversation.a", {"type": "message", "seq": 2}),
    ]
    assert layer.attempts == 7 and publisher.dropped == 0


def test_a_push_refused_past_the_retry_time_is_dropped_counted_and_resynced_later(publisher, monkeypatch, settings):
    settings.PARLEY_REALTIME_RETRY_SECONDS = 0.2
    layer = FlakyLayer(failures=1000)
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)

    realtime.stream_now("conversation.a", {"type": "message", "seq": 1})
    realtime.flush()
    assert layer.sent == [] and publisher.dropped == 1

    layer.failures = 0  # the broker is back
    realtime.stream_now("conversation.b", {"type": "message", "seq": 4})
    realtime.flush()
    assert layer.sent == [("conversation.b", {"type": "message", "seq": 4}), ("conversation.a", {"type": "resync"})]
    assert publisher.dropped == 1


def test_the_caller_never_waits_for_a_stalled_layer(publisher, monkeypatch, settings):
    import time

    settings.PARLEY_REALTIME_RETRY_SECONDS = 0.02
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: FlakyLayer(failures=1000))
    started = time.monotonic()
    for seq in range(50):
        realtime.stream_now("conversation.a", {"type": "token", "seq": seq})
    assert time.monotonic() - started < 0.5
    realtime.flush()
    assert publisher.dropped == 50
