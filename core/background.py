"""What the two background senders of a process share: `core.dispatch` (Celery tasks to the
broker) and `core.realtime` (pushes to the channel layer) each keep a thread of their own, so a
stalled broker or layer never holds the request or task that caused the work, and each retries
a refused send for a while before giving up.

They stay two senders: a task publish is a blocking call made one at a time, a push is a
coroutine the channel layer sends in batches from an event loop (and a recovered layer owes its
groups a `resync`). What is the same is here: the thread started once per process, and the
retry window."""

from __future__ import annotations

import threading
from collections.abc import Callable
from os import getpid
from time import monotonic
from typing import Generic, TypeVar

T = TypeVar("T")


class PerProcess(Generic[T]):
    """A value made on first use in each process, and made again in a forked child (Celery's
    prefork pool): a thread the parent started does not exist there."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._value: T | None = None

    def get(self) -> T:
        if self._pid != getpid():
            with self._lock:
                if self._pid != getpid():
                    self._value = self._make()
                    self._pid = getpid()
        return self._value

    def peek(self) -> T | None:
        """This process's value, or None while nothing here has asked for it."""
        return self._value if self._pid == getpid() else None


class RetryWindow:
    """Waits between tries, doubling from `first` up to `most`, while the next try would still
    start within `seconds` of the window opening."""

    def __init__(self, seconds: float, *, first: float, most: float) -> None:
        self._deadline = monotonic() + seconds
        self._delay = first
        self._most = most

    def next_delay(self) -> float | None:
        """How long to wait before trying again, or None: give up."""
        delay = self._delay
        if monotonic() + delay > self._deadline:
            return None
        self._delay = min(delay * 2, self._most)
        return delay
