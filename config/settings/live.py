"""The processes a test's LiveStack starts (core/testing/live.py): `make run`'s settings, plus a
test-only app that can slow every outbound send, so a test can kill a worker in the middle of
one. Nothing else loads this module: the production send path has no test hook in it.

PARLEY_TEST_OUTBOUND_DELAY_SECONDS (default 0: no delay) is the pause before each send.
"""

from config.settings.local import *  # noqa: F403
from config.settings.local import INSTALLED_APPS, env

INSTALLED_APPS = [*INSTALLED_APPS, "conversations.tests.slow_outbound.SlowOutboundConfig"]
PARLEY_TEST_OUTBOUND_DELAY_SECONDS = env.float("PARLEY_TEST_OUTBOUND_DELAY_SECONDS", default=0.0)
