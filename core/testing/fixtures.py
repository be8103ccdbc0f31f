"""Fixtures every app's tests share that know no domain (a pytest plugin: the root conftest lists it
in `pytest_plugins`)."""

import copy
from dataclasses import dataclass

import pytest
from django.core.cache import cache

from core import realtime
from core.stamps import stamps_forget


@pytest.fixture(autouse=True)
def _fresh_table_stamps():
    """Each test reads the tables' versions afresh (core/stamps.py): the last test's rows were
    rolled back, which no signal tells."""
    stamps_forget()
    yield
    stamps_forget()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters (core/ratelimit.py, the test settings' local-memory cache) start at zero
    in every test: every test client comes from the same address."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


@dataclass(frozen=True)
class Pushed:
    group: str
    event: dict


class RealtimeCapture:
    """Every WebSocket push made while the fixture is active, in order, as it left for the
    channel layer (after commit for `send_event_on_commit`, at once for `stream_now`)."""

    def __init__(self) -> None:
        self.pushed: list[Pushed] = []

    def events(self, *, group: str | None = None, type: str | None = None) -> list[dict]:
        return [
            p.event
            for p in self.pushed
            if (group is None or p.group == group) and (type is None or p.event.get("type") == type)
        ]

    def types(self, *, group: str | None = None) -> list[str]:
        return [event["type"] for event in self.events(group=group)]

    def clear(self) -> None:
        self.pushed.clear()


@pytest.fixture
def capture_realtime(monkeypatch) -> RealtimeCapture:
    """Record what is pushed to WebSockets; the pushes still go out (sockets in the test see them).

    Pushes made on commit are recorded when the commit happens: in a `django_db` test (one
    transaction) wrap the code in `django_capture_on_commit_callbacks(execute=True)`.
    """
    capture = RealtimeCapture()
    send = realtime._send

    def spy(group: str, event: dict) -> None:
        capture.pushed.append(Pushed(group, copy.deepcopy(event)))
        send(group, event)

    monkeypatch.setattr(realtime, "_send", spy)
    return capture


@pytest.fixture
def database_outage(monkeypatch):
    """Call it to take the database away: every cursor of every connection (any thread) fails
    with the driver's OperationalError, which Django wraps as it would a dropped connection.
    `monkeypatch.undo()` (or the test's end) brings it back."""
    from django.db import connections

    def broken_cursor(self, name=None):
        raise self.Database.OperationalError("server closed the connection unexpectedly")

    def begin():
        monkeypatch.setattr(type(connections["default"]), "create_cursor", broken_cursor)

    return begin


@pytest.fixture
def redis_layer():
    """Parley's Redis channel layer (REDIS_URL, this process's prefix) as the default layer."""
    import os

    from channels.layers import channel_layers
    from django.test import override_settings

    settings = {
        "default": {
            "BACKEND": "core.channel_layer.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ.get("REDIS_URL", "")], "prefix": f"parley-test-{os.getpid()}"},
        }
    }
    with override_settings(CHANNEL_LAYERS=settings):
        channel_layers.backends.clear()
        yield channel_layers["default"]
    channel_layers.backends.clear()
