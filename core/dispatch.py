"""The one way a request or a task hands work to Celery after its transaction commits.

`task_send_on_commit(task, *args)` queues the Celery task once the transaction commits (at
once outside one). With a real broker the publish happens on a dispatcher thread of this
process, never on the caller's thread: a stalled or unreachable broker (Redis paused, a
failover) must not hold an operator's decision or a webhook's acknowledgement, whose rows are
already committed. The dispatcher publishes in order and retries a refused publish with
backoff for `PARLEY_TASK_DISPATCH_RETRY_SECONDS`, so the work leaves as soon as the broker is
back rather than at the next reconcile beat; after that it is logged and dropped, and the
reconcile beats (outbox, webhook events, alerts) find the committed rows as before.

With `CELERY_TASK_ALWAYS_EAGER` (the embedded default and the unit tests) tasks run in place,
on the caller's thread, as Celery would.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from core.background import PerProcess, RetryWindow

logger = logging.getLogger(__name__)

_FIRST_DELAY = 0.05
_MAX_DELAY = 2.0


@dataclass
class _Job:
    task: Any
    args: tuple
    options: dict = field(default_factory=dict)


class _Dispatcher:
    """A daemon thread publishing queued tasks one after another (one per process: forked
    Celery children start their own on first use)."""

    def __init__(self) -> None:
        self._jobs: PerProcess[queue.Queue[_Job]] = PerProcess(self._start)
        self.dropped = 0

    def _start(self) -> queue.Queue[_Job]:
        jobs: queue.Queue[_Job] = queue.Queue()
        threading.Thread(target=self._run, args=(jobs,), name="parley-task-dispatch", daemon=True).start()
        return jobs

    def submit(self, job: _Job) -> None:
        self._jobs.get().put(job)

    def _run(self, jobs: queue.Queue[_Job]) -> None:
        while True:
            job = jobs.get()
            try:
                self._publish(job)
            finally:
                jobs.task_done()

    def _publish(self, job: _Job) -> None:
        window = RetryWindow(settings.PARLEY_TASK_DISPATCH_RETRY_SECONDS, first=_FIRST_DELAY, most=_MAX_DELAY)
        while True:
            try:
                job.task.apply_async(job.args, **job.options)
                return
            except Exception:
                delay = window.next_delay()
                if delay is None:
                    self.dropped += 1
                    logger.exception(
                        "task %s%r not queued after %ss: left to its reconcile beat",
                        getattr(job.task, "name", job.task),
                        job.args,
                        settings.PARLEY_TASK_DISPATCH_RETRY_SECONDS,
                    )
                    return
                logger.warning("broker refused %s; retrying in %.2fs", getattr(job.task, "name", job.task), delay)
                time.sleep(delay)

    def join(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is published or dropped (tests, shutdown)."""
        jobs = self._jobs.peek()
        deadline = time.monotonic() + timeout
        while jobs is not None and jobs.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True


dispatcher = _Dispatcher()
# A short-lived process (a management command, a test client) publishes what it queued before it exits.
atexit.register(dispatcher.join)


def task_send_now(task, *args, **options) -> None:
    """Queue `task` at once, whatever transaction is open (for work that does not depend on it)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        task.apply_async(args, **options)
    else:
        dispatcher.submit(_Job(task=task, args=args, options=options))


def task_send_on_commit(task, *args, **options) -> None:
    """Queue `task(*args)` once the current transaction commits (`options` go to apply_async)."""
    # robust: a failure in one callback must not skip the others, nor fail a committed change.
    transaction.on_commit(lambda: task_send_now(task, *args, **options), robust=True)
