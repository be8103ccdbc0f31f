"""How a long-lived server process (Daphne) runs its interpreter: GIL hand-over and garbage collection.

A Daphne holding a thousand sockets has a large heap, nearly all of it made at start-up (Django,
the apps, the search indexes) and never freed. Python's full (oldest-generation) collection walks
all of it, stopping every thread, sockets' frames included, for the length of the walk. Freezing
what exists once the application is loaded moves those objects out of the collector's sight
(``gc.freeze``, as CPython documents for long-running servers), so a full collection walks only
what was made since. Slow collections are logged, so a latency tail can be checked against them.
"""

from __future__ import annotations

import gc
import logging
import sys
import time

logger = logging.getLogger("parley.process")

_started: dict[int, float] = {}


def _gc_timer(slow_seconds: float):
    def callback(phase: str, info: dict) -> None:
        generation = info.get("generation", -1)
        if phase == "start":
            _started[generation] = time.perf_counter()
            return
        began = _started.pop(generation, None)
        if began is None:
            return
        took = time.perf_counter() - began
        if took >= slow_seconds:
            logger.warning(
                "slow garbage collection: generation %s took %.1f ms (collected %s, uncollectable %s)",
                generation,
                took * 1000,
                info.get("collected"),
                info.get("uncollectable"),
            )

    return callback


def server_process_tune(*, switch_interval: float, gc_freeze: bool, gc_slow_ms: float) -> None:
    """Set up the interpreter of a server process once its application is loaded."""
    # The server's event loop, the requests' threads and the publisher thread take turns at the GIL.
    sys.setswitchinterval(switch_interval)
    if gc_freeze:
        gc.collect()
        gc.freeze()
    if gc_slow_ms > 0 and not any(getattr(cb, "__qualname__", "").startswith("_gc_timer") for cb in gc.callbacks):
        gc.callbacks.append(_gc_timer(gc_slow_ms / 1000))
