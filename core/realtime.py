"""The one way anything is pushed to WebSockets: after the transaction commits.

Events are dicts with a `type` (dots allowed, as Channels maps `action.status` to the
consumer method `action_status`). Only services call this.

With a cross-process layer (Redis), pushes leave through a publisher thread with an event
loop of its own: the request or task that caused them never waits on the server's busy
event loop, and one queue keeps every push from a process in the order it was made. The
in-memory layer only works on the server's own loop, so there pushes are made in place.
"""

import asyncio
import atexit
import logging
import os
import re
import threading

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9\-.]")

OPERATORS_GROUP = "operators"


def conversation_group(conversation_id: str) -> str:
    return "conversation." + _UNSAFE.sub("-", conversation_id)


class _Publisher:
    """A daemon thread running an event loop that sends queued pushes one after another."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None

    def _start(self) -> None:
        # After a fork (Celery's prefork pool) the parent's thread does not exist: start anew.
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                self._queue = asyncio.Queue()
                ready.set()
                loop.run_until_complete(self._drain())

            threading.Thread(target=run, name="realtime-publisher", daemon=True).start()
            ready.wait()
            self._loop = loop
            self._pid = os.getpid()

    async def _drain(self) -> None:
        while True:
            group, event = await self._queue.get()
            try:
                await get_channel_layer().group_send(group, event)
            except Exception:  # a dropped push must never break anything else
                logger.exception("realtime push to %s failed", group)
            finally:
                self._queue.task_done()

    def submit(self, group: str, event: dict) -> None:
        self._start()
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (group, event))

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every queued push has been sent (at exit, and for tests)."""
        if self._pid != os.getpid() or self._loop is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._queue.join(), self._loop)
        try:
            future.result(timeout)
        except Exception:
            logger.warning("realtime pushes still queued after %.1fs", timeout)


_publisher = _Publisher()
atexit.register(_publisher.flush)


def send_now(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    if not isinstance(layer, InMemoryChannelLayer):
        _publisher.submit(group, event)
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # a dropped push must never undo or break the write that caused it
        logger.exception("realtime push to %s failed", group)


def flush(timeout: float = 5.0) -> None:
    _publisher.flush(timeout)


def send_on_commit(group: str, event: dict) -> None:
    assert "type" in event, "every realtime event has a type"
    transaction.on_commit(lambda: send_now(group, event))
