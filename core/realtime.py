"""The one way anything is pushed to WebSockets (Zulip's `send_event_on_commit`).

- `send_event_on_commit(group, event)`: what services call. Sent after the transaction
  commits, so nothing is announced that then rolls back; outside a transaction, at once.
  `event` may be a callable that builds the event after commit, from the rows as committed.
- `stream_now(group, event)`: sent at once, whatever transaction is open. Only for what belongs
  to no transaction and is worthless later: streamed reply tokens, the typing indicator.

Events are dicts with a `type` (dots allowed, as Channels maps `action.status` to the
consumer method `action_status`); group names come from `conversation_group` or
`OPERATORS_GROUP`. Every event for a conversation's group carries `seq`, the conversation's
message sequence it relates to (a message's own; for anything else the latest message it
follows), so a client that sees a number it has not got knows it missed something and asks
for `history` after its last contiguous seq. Tests observe pushes with the `capture_realtime` fixture
(`core/testing/fixtures.py`).

With a cross-process layer (Redis), pushes leave through a publisher thread with an event
loop of its own: the request or task that caused them never waits on the server's busy
event loop (nor on a stalled broker), and one queue keeps every push from a process in the
order it was made. A push the layer refuses is retried with backoff, holding the queue so the
order stays, for `PARLEY_REALTIME_RETRY_SECONDS`; then it is dropped and counted. Once the
layer answers again, every group that saw a failure gets a `resync` frame (no `seq`): its
clients fetch what they may have missed. The in-memory layer only works on the server's own
loop: a request's pushes are handed to that loop, in order, without waiting for it to run
them; with no server loop (a command, a test) they are made in place.
"""

import asyncio
import atexit
import logging
import os
import re
import threading
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import transaction

from core.background import PerProcess, RetryWindow

logger = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9\-.]")

OPERATORS_GROUP = "operators"
CONVERSATION_GROUP_PREFIX = "conversation."
RESYNC_EVENT = {"type": "resync"}
_RETRY_FIRST_DELAY = 0.05
_RETRY_MAX_DELAY = 1.0
_BATCH_MAX = 100  # pushes sent in one go by the publisher


def conversation_group(conversation_id: str) -> str:
    return CONVERSATION_GROUP_PREFIX + _UNSAFE.sub("-", conversation_id)


class _Publisher:
    """A daemon thread running an event loop that sends queued pushes one after another."""

    def __init__(self) -> None:
        self._loop_and_queue: PerProcess[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = PerProcess(self._start)
        self.dropped = 0  # pushes given up on after retrying (this process, since it started)
        self._failed_groups: set[str] = set()  # saw a failure; get `resync` once the layer answers

    def _start(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue]:
        loop = asyncio.new_event_loop()
        pushes: asyncio.Queue = asyncio.Queue()  # bound to the loop that first waits on it

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._drain(pushes))

        # What is handed to the loop before it runs waits for it (call_soon_threadsafe).
        threading.Thread(target=run, name="realtime-publisher", daemon=True).start()
        return loop, pushes

    async def _drain(self, pushes: asyncio.Queue) -> None:
        while True:
            # Everything queued meanwhile leaves together: one call to the layer for the lot
            # where it can (`group_send_many`), in the order it was queued.
            batch = [await pushes.get()]
            while len(batch) < _BATCH_MAX and not pushes.empty():
                batch.append(pushes.get_nowait())
            try:
                await self._deliver(batch)
            except Exception:  # a dropped push must never break anything else
                logger.exception("realtime pushes to %s failed", sorted({group for group, _ in batch}))
            finally:
                for _ in batch:
                    pushes.task_done()

    async def _deliver(self, pushes: list[tuple[str, dict]], *, resync: bool = True) -> None:
        """Send pushes in order, retrying with backoff while the layer refuses them (the queue
        waits, so the order holds); what is still unsent after `PARLEY_REALTIME_RETRY_SECONDS`
        is dropped. After each success, the groups that saw a failure get `resync`."""
        window = RetryWindow(settings.PARLEY_REALTIME_RETRY_SECONDS, first=_RETRY_FIRST_DELAY, most=_RETRY_MAX_DELAY)
        layer = get_channel_layer()
        send_many = getattr(layer, "group_send_many", None)
        pending = list(pushes)
        while pending:
            try:
                if send_many is not None:
                    await send_many(pending)  # all or nothing
                    pending = []
                else:
                    await layer.group_send(*pending[0])
                    pending.pop(0)
            except Exception as exc:
                tried = pending if send_many is not None else pending[:1]
                groups = sorted({group for group, _ in tried})
                self._failed_groups.update(groups)
                delay = window.next_delay()
                if delay is None:
                    self._failed_groups.update(group for group, _ in pending)
                    self.dropped += len(pending)
                    logger.error(
                        "realtime pushes to %s dropped after retrying (%d so far): %r",
                        sorted({group for group, _ in pending}),
                        self.dropped,
                        exc,
                    )
                    return
                logger.warning("realtime pushes to %s failed, retrying in %.2fs: %r", groups, delay, exc)
                await asyncio.sleep(delay)
                continue
            if resync and self._failed_groups:
                await self._resync()

    async def _resync(self) -> None:
        """The layer answers again: tell every group that saw a failure to catch up (failing
        again puts a group back in the set, for the next recovery)."""
        groups, self._failed_groups = self._failed_groups, set()
        await self._deliver([(group, dict(RESYNC_EVENT)) for group in sorted(groups)], resync=False)

    def submit(self, group: str, event: dict) -> None:
        loop, pushes = self._loop_and_queue.get()
        loop.call_soon_threadsafe(pushes.put_nowait, (group, event))

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every queued push has been sent (at exit, and for tests)."""
        started = self._loop_and_queue.peek()
        if started is None:
            return
        loop, pushes = started
        future = asyncio.run_coroutine_threadsafe(pushes.join(), loop)
        try:
            future.result(timeout)
        except Exception:
            logger.warning("realtime pushes still queued after %.1fs", timeout)


_publisher = _Publisher()
atexit.register(_publisher.flush)


def _send(group: str, event: dict) -> None:
    """Hand one event to the channel layer. Never raises: a dropped push must not break the
    write that caused it (the client catches up from history on reconnect)."""
    layer = get_channel_layer()
    if layer is None:
        return
    if not isinstance(layer, InMemoryChannelLayer):
        _publisher.submit(group, event)
        return
    loop = _server_loop()
    if loop is not None:
        # A request's view in its thread: the push is handed to the server's loop, which runs it
        # when it next gets control, and the view goes on instead of waiting for that (a thread
        # hop there and back per push, five per chat reply). The loop runs what it is handed in
        # order, and the in-memory layer queues a message without waiting: pushes arrive in the
        # order they were made.
        loop.call_soon_threadsafe(loop.create_task, _group_send_logged(layer, group, event))
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # a dropped push must never undo or break the write that caused it
        logger.exception("realtime push to %s failed", group)


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop of the server whose thread pool runs this code (as `async_to_sync`
    finds it), or None: a worker, a command, a test with no loop, or the loop's own thread."""
    from asgiref.sync import SyncToAsync

    try:
        asyncio.get_running_loop()
        return None
    except RuntimeError:
        pass
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() and not loop.is_closed() else None


async def _group_send_logged(layer, group: str, event: dict) -> None:
    try:
        await layer.group_send(group, event)
    except Exception:  # a dropped push must never break anything else
        logger.exception("realtime push to %s failed", group)


def flush(timeout: float = 5.0) -> None:
    _publisher.flush(timeout)


def send_event_on_commit(group: str, event: dict | Callable[[], dict | None]) -> None:
    """Push `event` to `group` once the current transaction commits (at once outside one).

    A callable `event` is called after commit and may return None to send nothing (the row it
    describes is gone); if it raises, the error is logged and nothing is sent.
    """
    if not callable(event):
        _check(group, event)

    def send() -> None:
        try:
            built = event() if callable(event) else event
        except Exception:  # building the event reads the database; that must not break the commit
            logger.exception("realtime event for %s could not be built", group)
            return
        if built is not None:
            _check(group, built)
            _send(group, built)

    transaction.on_commit(send)


def stream_now(group: str, event: dict) -> None:
    """Push at once, inside a transaction or not: streamed tokens and typing, nothing else."""
    _check(group, event)
    _send(group, event)


def _check(group: str, event: dict) -> None:
    assert "type" in event, "every realtime event has a type"
    if group.startswith(CONVERSATION_GROUP_PREFIX):
        seq = event.get("seq")
        assert isinstance(seq, int) and not isinstance(seq, bool), "a conversation's event carries its `seq`"
