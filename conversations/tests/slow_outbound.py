"""A test-only app (installed by `config/settings/live.py`, never in production): with
PARLEY_TEST_OUTBOUND_DELAY_SECONDS set it pauses before every outbound send (each chat channel,
and the alerts' email), so a live test can kill a worker while it holds a claimed delivery."""

import functools
import time

from django.apps import AppConfig
from django.conf import settings


def _slowed(send, delay: float):
    @functools.wraps(send)
    def slow_send(*args, **kwargs):
        time.sleep(delay)
        return send(*args, **kwargs)

    return slow_send


class SlowOutboundConfig(AppConfig):
    name = "conversations.tests.slow_outbound"
    label = "slow_outbound"

    def ready(self):
        delay = settings.PARLEY_TEST_OUTBOUND_DELAY_SECONDS
        if delay <= 0:
            return
        from alerts.delivery import Sender
        from core.outbound import CHANNELS

        for channel in CHANNELS.values():
            channel.send = _slowed(channel.send, delay)
        # Alert emails go through the batch's own connection, not the email channel.
        Sender._email = _slowed(Sender._email, delay)
