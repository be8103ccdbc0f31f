"""core.dispatch: a stalled or refusing broker never holds the caller; tasks leave in order as
soon as the broker takes them again."""

import threading
import time

import pytest
from django.db import transaction

from core import dispatch


class FakeTask:
    """Stands in for a Celery task's `apply_async`: can block (a paused broker) or refuse."""

    name = "tests.fake"

    def __init__(self, *, refuse: int = 0, gate: threading.Event | None = None):
        self.refuse = refuse
        self.gate = gate
        self.published: list[tuple] = []
        self.calls = 0

    def apply_async(self, args, **options):
        self.calls += 1
        if self.gate is not None:
            self.gate.wait(10)
        if self.refuse:
            self.refuse -= 1
            raise ConnectionError("broker refused")
        self.published.append((args, options))


@pytest.fixture
def broker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.PARLEY_TASK_DISPATCH_RETRY_SECONDS = 5.0
    return settings


def test_a_stalled_broker_does_not_hold_the_caller(broker):
    gate = threading.Event()
    task = FakeTask(gate=gate)
    returned = threading.Event()

    def caller():
        dispatch.task_send_now(task, 1)
        dispatch.task_send_now(task, 2)
        returned.set()

    threading.Thread(target=caller).start()
    assert returned.wait(1), "the caller waited on the broker"
    assert task.published == []
    gate.set()  # the broker answers again
    assert dispatch.dispatcher.join(5)
    assert task.published == [((1,), {}), ((2,), {})]


def test_a_refused_publish_is_retried_in_order_until_the_broker_takes_it(broker):
    task = FakeTask(refuse=3)
    dispatch.task_send_now(task, "a", countdown=2)
    dispatch.task_send_now(task, "b")
    assert dispatch.dispatcher.join(5)
    assert task.published == [(("a",), {"countdown": 2}), (("b",), {})]
    assert task.calls == 5


def test_a_broker_away_longer_than_the_retry_window_drops_and_counts(broker):
    broker.PARLEY_TASK_DISPATCH_RETRY_SECONDS = 0.2
    task = FakeTask(refuse=1000)
    before = dispatch.dispatcher.dropped
    dispatch.task_send_now(task, "lost")
    assert dispatch.dispatcher.join(5)
    assert task.published == []
    assert dispatch.dispatcher.dropped == before + 1
    ok = FakeTask()
    dispatch.task_send_now(ok, "next")  # the dispatcher carries on
    assert dispatch.dispatcher.join(5)
    assert ok.published == [(("next",), {})]


@pytest.mark.django_db(transaction=True)
def test_on_commit_only_after_the_commit_and_never_after_a_rollback(broker):
    task = FakeTask()
    with transaction.atomic():
        dispatch.task_send_on_commit(task, "kept")
        time.sleep(0.05)
        assert task.published == []
    with pytest.raises(RuntimeError), transaction.atomic():
        dispatch.task_send_on_commit(task, "rolled back")
        raise RuntimeError
    assert dispatch.dispatcher.join(5)
    assert task.published == [(("kept",), {})]


def test_eager_mode_runs_in_place(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    task = FakeTask()
    dispatch.task_send_now(task, "here")
    assert task.published == [(("here",), {})]
