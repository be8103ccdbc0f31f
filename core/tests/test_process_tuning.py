"""A server process loads ahead, freezes what it holds, collects its young generations less often,
and logs slow collections."""

import contextvars
import gc
import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings

from core.process_tuning import gc_tune, server_process_tune

_loaded_ahead: list = []
_marker = contextvars.ContextVar("marker")


@pytest.fixture
def interpreter_restored():
    interval, callbacks, thresholds = sys.getswitchinterval(), list(gc.callbacks), gc.get_threshold()
    yield
    sys.setswitchinterval(interval)
    gc.callbacks[:] = callbacks
    gc.set_threshold(*thresholds)
    gc.unfreeze()
    _loaded_ahead.clear()


def _load_some():
    _loaded_ahead.extend([i] for i in range(1000))  # tracked containers, as a lazily loaded module makes
    _marker.set("set while loading ahead")


def test_what_exists_is_frozen_and_the_switch_interval_set(interpreter_restored):
    gc.unfreeze()
    loaded = [object() for _ in range(10)]  # tracked containers made before the freeze
    server_process_tune(switch_interval=0.002, gc_freeze=True, gc_slow_ms=0)
    assert gc.get_freeze_count() > len(loaded)
    assert sys.getswitchinterval() == pytest.approx(0.002)


def test_what_is_loaded_ahead_is_frozen_with_the_rest(interpreter_restored):
    gc.unfreeze()
    server_process_tune(switch_interval=0.005, gc_freeze=True, gc_slow_ms=0, load_ahead=_load_some)
    assert len(_loaded_ahead) == 1000
    walked = {id(o) for o in gc.get_objects()}  # what a collection walks: the frozen are not in it
    assert not any(id(item) in walked for item in _loaded_ahead)


def test_what_loading_ahead_sets_in_context_variables_stays_out_of_the_servers_context(interpreter_restored):
    # The server's tasks copy this thread's context: a value left there would be carried by every socket.
    gc_tune(freeze=True, load_ahead=_load_some)
    assert _loaded_ahead
    assert _marker.get("unset") == "unset"


def test_without_freezing_nothing_is_frozen_nor_loaded_ahead(interpreter_restored):
    gc.unfreeze()
    server_process_tune(switch_interval=0.005, gc_freeze=False, gc_slow_ms=0, load_ahead=_load_some)
    assert gc.get_freeze_count() == 0
    assert _loaded_ahead == []


def test_the_thresholds_are_set_and_empty_ones_keep_the_interpreters(interpreter_restored):
    before = gc.get_threshold()
    gc_tune(freeze=False, thresholds=())
    assert gc.get_threshold() == before
    gc_tune(freeze=False, thresholds=(10000, 10, 10))
    assert gc.get_threshold() == (10000, 10, 10)


def test_a_collection_slower_than_the_threshold_is_logged_once_per_collection(interpreter_restored, caplog):
    server_process_tune(switch_interval=0.005, gc_freeze=False, gc_slow_ms=1e-9)
    server_process_tune(switch_interval=0.005, gc_freeze=False, gc_slow_ms=1e-9)  # not a second timer
    with caplog.at_level(logging.WARNING, logger="parley.process"):
        gc.collect(2)
    slow = [r.getMessage() for r in caplog.records if "slow garbage collection" in r.getMessage()]
    assert len(slow) == 1
    assert slow[0].startswith("slow garbage collection: generation 2 took")
    assert "(cpu " in slow[0]


def test_a_fast_collection_is_not_logged(interpreter_restored, caplog):
    server_process_tune(switch_interval=0.005, gc_freeze=False, gc_slow_ms=60_000)
    with caplog.at_level(logging.WARNING, logger="parley.process"):
        gc.collect(0)
    assert not [r for r in caplog.records if "slow garbage collection" in r.getMessage()]


def test_the_test_settings_leave_the_test_process_collector_alone():
    assert settings.PARLEY_GC_FREEZE is False
    assert settings.PARLEY_GC_THRESHOLDS == []


_SERVER_HEAP = """
import contextvars, gc, json, sys
import config.asgi
print(json.dumps({
    "walked": len(gc.get_objects()),
    "frozen": gc.get_freeze_count(),
    "thresholds": gc.get_threshold(),
    "urlconf_loaded": "config.urls" in sys.modules,
    "context_variables": len(contextvars.copy_context()),
}))
"""


def test_a_servers_application_leaves_its_urlconf_frozen_and_its_context_clean():
    # The application as a Daphne imports it, with the server settings' defaults: a process of its
    # own, since the set-up is the whole interpreter's.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARLEY_GC")},
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "PARLEY_GC_SLOW_MS": "0",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", _SERVER_HEAP],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    heap = json.loads(done.stdout.strip().splitlines()[-1])
    assert heap["urlconf_loaded"]
    # Loaded, the application holds over 300,000 tracked objects; the URLconf alone is 127,000.
    assert heap["frozen"] > 250_000
    assert heap["walked"] < 20_000
    assert tuple(heap["thresholds"]) == (10000, 10, 10)
    # Populating the URL resolvers sets a Local for each of them: none of it is left in the
    # context every socket's task copies.
    assert heap["context_variables"] < 20
