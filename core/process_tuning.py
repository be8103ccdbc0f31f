"""How a long-lived server process (Daphne) runs its interpreter: GIL hand-over and garbage collection.

A Daphne holding a thousand sockets has a large heap, nearly all of it made while loading (Django,
the apps, the URLconf with every view and the SDKs they import) and never freed. Python's full
(oldest-generation) collection walks all of it, stopping every thread, sockets' frames included,
for the length of the walk: 200-500 ms on a busy 2-core box for the 340,000 objects a loaded
Daphne holds. Three things keep those walks off the sockets' path:

- What a server loads lazily on its first requests is loaded before the freeze (`load_ahead`):
  Django imports the URLconf on the first request, and with it 1,250 modules (1,090 of them the
  Stripe SDK), 127,000 objects, two thirds of what a freeze at import would leave in the walks.
- `gc.freeze` then moves all of it out of the collector's sight (as CPython documents for
  long-running servers), so a full collection walks only what was made since: the sockets.
- Larger young-generation thresholds: a request's short-lived objects (10 ms of CPU, hundreds
  of containers) die in the young generation instead of being promoted while still in use, so
  less reaches the oldest one and full collections come rarely. Frozen objects do not count in
  the oldest generation's size, and CPython runs a full collection once a quarter of that size
  is new: with the default thresholds (700, 10, 10) a frozen server collected more often.

Collections slower than `gc_slow_ms` are logged, so a latency tail can be checked against them.
"""

from __future__ import annotations

import contextvars
import gc
import logging
import sys
import time
from collections.abc import Callable

logger = logging.getLogger("parley.process")

_started: dict[int, tuple[float, float]] = {}


def _gc_timer(slow_seconds: float):
    def callback(phase: str, info: dict) -> None:
        generation = info.get("generation", -1)
        if phase == "start":
            _started[generation] = (time.perf_counter(), time.thread_time())
            return
        began = _started.pop(generation, None)
        if began is None:
            return
        took = time.perf_counter() - began[0]
        if took >= slow_seconds:
            # The CPU time beside the wall time: on a loaded machine a collection's wall time
            # includes the time the process waited for a core.
            logger.warning(
                "slow garbage collection: generation %s took %.1f ms (cpu %.1f ms, collected %s, uncollectable %s)",
                generation,
                took * 1000,
                (time.thread_time() - began[1]) * 1000,
                info.get("collected"),
                info.get("uncollectable"),
            )

    return callback


def server_process_tune(
    *,
    switch_interval: float,
    gc_freeze: bool,
    gc_slow_ms: float,
    gc_thresholds: tuple[int, ...] = (),
    load_ahead: Callable[[], None] | None = None,
) -> None:
    """Set up the interpreter of a server process once its application is loaded (see `gc_tune`)."""
    # The server's event loop, the requests' threads and the publisher thread take turns at the GIL.
    sys.setswitchinterval(switch_interval)
    gc_tune(freeze=gc_freeze, thresholds=gc_thresholds, load_ahead=load_ahead)
    if gc_slow_ms > 0 and not any(getattr(cb, "__qualname__", "").startswith("_gc_timer") for cb in gc.callbacks):
        gc.callbacks.append(_gc_timer(gc_slow_ms / 1000))


def gc_tune(*, freeze: bool, thresholds: tuple[int, ...] = (), load_ahead: Callable[[], None] | None = None) -> None:
    """Set the collector's thresholds (`gc.set_threshold`'s; empty: the interpreter's own) and, with
    `freeze`, run `load_ahead` (what the first requests would load), collect, and freeze what is left.
    A benchmark client holding sockets calls it too, once they are open."""
    if thresholds:
        gc.set_threshold(*thresholds)
    if freeze:
        if load_ahead is not None:
            # In a context of its own: what it sets in context variables (asgiref's Locals: the
            # URL resolvers mark themselves `populating`) must not stay in this thread's context,
            # which the server's tasks copy, or every socket would carry a copy of each
            # (asgiref re-homes them after each database call: 200 more objects a socket).
            contextvars.copy_context().run(load_ahead)
        gc.collect()
        gc.freeze()


def django_load_ahead() -> None:
    """Load what Django would on a server's first requests: the URLconf (every urls module and
    the views, serializers and SDKs they import) and its reverse lookups."""
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018  (read for its effect: populating the resolver)
