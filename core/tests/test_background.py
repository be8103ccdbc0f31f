"""The pieces core.dispatch and core.realtime share: a value made once per process (again in a
forked child), and the window a refused send is retried in."""

import os

from core import background
from core.background import PerProcess, RetryWindow


def test_a_per_process_value_is_made_once_and_again_in_a_forked_child(monkeypatch):
    made = []
    value = PerProcess(lambda: made.append(len(made)) or f"queue {len(made)}")

    assert value.peek() is None
    assert value.get() == value.get() == "queue 1" and made == [0]
    parent = os.getpid()
    monkeypatch.setattr(background, "getpid", lambda: parent + 1)  # what a forked child sees
    assert value.peek() is None
    assert value.get() == "queue 2" and value.peek() == "queue 2"


def test_the_retry_window_doubles_its_waits_up_to_the_most_then_gives_up(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(background, "monotonic", lambda: now[0])
    window = RetryWindow(3.0, first=0.5, most=1.0)
    waits = []
    while (delay := window.next_delay()) is not None:
        waits.append(delay)
        now[0] += delay
    assert waits == [0.5, 1.0, 1.0]  # a fourth wait would end at 103.5, past the window
