"""A server process freezes what it loaded out of the collector's walks and logs slow collections."""

import gc
import logging
import sys

import pytest

from core.process_tuning import server_process_tune


@pytest.fixture
def interpreter_restored():
    interval, callbacks = sys.getswitchinterval(), list(gc.callbacks)
    yield
    sys.setswitchinterval(interval)
    gc.callbacks[:] = callbacks
    gc.unfreeze()


def test_what_exists_is_frozen_and_the_switch_interval_set(interpreter_restored):
    gc.unfreeze()
    loaded = [object() for _ in range(10)]  # tracked containers made before the freeze
    server_process_tune(switch_interval=0.002, gc_freeze=True, gc_slow_ms=0)
    assert gc.get_freeze_count() > len(loaded)
    assert sys.getswitchinterval() == pytest.approx(0.002)


def test_without_freezing_nothing_is_frozen(interpreter_restored):
    gc.unfreeze()
    server_process_tune(switch_interval=0.005, gc_freeze=False, gc_slow_ms=0)
    assert gc.get_freeze_count() == 0


def test_a_collection_slower_than_the_threshold_is_logged_once_per_collection(interpreter_restored, caplog):
    server_process_tune(switch_interval=0.005, gc_freeze=False, gc_slow_ms=1e-9)
    server_process_tune(switch_interval=0.005, gc_freeze=False, gc_slow_ms=1e-9)  # not a second timer
    with caplog.at_level(logging.WARNING, logger="parley.process"):
        gc.collect(2)
    slow = [r.getMessage() for r in caplog.records if "slow garbage collection" in r.getMessage()]
    assert len(slow) == 1
    assert slow[0].startswith("slow garbage collection: generation 2 took")


def test_a_fast_collection_is_not_logged(interpreter_restored, caplog):
    server_process_tune(switch_interval=0.005, gc_freeze=False, gc_slow_ms=60_000)
    with caplog.at_level(logging.WARNING, logger="parley.process"):
        gc.collect(0)
    assert not [r for r in caplog.records if "slow garbage collection" in r.getMessage()]
