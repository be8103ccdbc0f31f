"""What the two inbound-webhook benchmarks share (bench_webhooks: Stripe; bench_whatsapp_webhook):
the same production topology (Daphne + PostgreSQL + Redis, the worker started only later), the
acknowledgement measured against a floor on the same server and connection, and the backlog
timed from asking for the worker until the work is seen done."""

import logging
import os
import time
from collections.abc import Callable

import httpx
from common import environment, latency_figures, write_result

# One worker process; its pool size is the machine's cores, as `celery worker` defaults to
# (BENCH_WORKER_POOL=solo BENCH_WORKER_CONCURRENCY=1 for the single-threaded figure).
POOL = os.environ.get("BENCH_WORKER_POOL", "prefork")
CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", str(os.cpu_count() or 1)))
FLOOR_N = 300
FLOOR_PATH = "/admin/login/"
TARGET_P99_MS = 20


def services_ready() -> bool:
    """PostgreSQL and Redis named in the environment (said, when not)."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL"):
        logging.getLogger("httpx").setLevel(logging.WARNING)
        return True
    print("needs DATABASE_URL=postgres://… and REDIS_URL")
    return False


def stack_env(**extra) -> dict:
    """The server's environment: pooled database connections, as production runs
    (DATABASE_POOL=1); without a pool, ASGI opens one PostgreSQL connection per request, several
    ms of every webhook's answer."""
    return {"DATABASE_POOL": os.environ.get("DATABASE_POOL", "1"), **extra}


def acks_and_floor(
    stack, *, path: str, bodies: list[tuple[bytes, str]], signature_header: str, accepted: Callable[[dict], bool]
) -> tuple[list[float], list[float]]:
    """FLOOR_N floor requests, then every (body, signature) POSTed to `path` one after another
    on one keep-alive connection; each answer must be a 200 whose JSON is `accepted`.
    Returns the seconds of each acknowledgement and of each floor request."""
    acks, floor = [], []
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        for _ in range(20):
            client.get(FLOOR_PATH)
        for _ in range(FLOOR_N):
            start = time.perf_counter()
            assert client.get(FLOOR_PATH).status_code == 200
            floor.append(time.perf_counter() - start)
        for raw, signature in bodies:
            start = time.perf_counter()
            response = client.post(
                path, content=raw, headers={signature_header: signature, "Content-Type": "application/json"}
            )
            acks.append(time.perf_counter() - start)
            if response.status_code != 200 or not accepted(response.json()):
                raise SystemExit(f"webhook answered {response.status_code}: {response.text[:200]}")
    return acks, floor


def worker_until(stack, *, done: Callable[[], bool], timeout: float, what: Callable[[], str]) -> tuple[float, float]:
    """Start the stack's worker and wait until `done()`; (boot seconds, seconds from asking for
    the worker until done). Past `timeout`, stop with `what()` said."""
    asked = time.perf_counter()
    stack.start_worker(pool=POOL, concurrency=CONCURRENCY)
    ready = time.perf_counter()
    while not done():
        if time.perf_counter() > asked + timeout:
            raise SystemExit(what())
        time.sleep(0.05)
    return ready - asked, time.perf_counter() - asked


def ack_line(path: str, ack: dict, floor: dict) -> str:
    return (
        f"POST {path} ack: p50={ack['p50_ms']:.2f} p95={ack['p95_ms']:.2f} p99={ack['p99_ms']:.2f} ms"
        f" (target p99 <= {TARGET_P99_MS} ms); floor GET {FLOOR_PATH}: p50={floor['p50_ms']:.2f}"
        f" p99={floor['p99_ms']:.2f} ms"
    )


def topology() -> dict:
    import daphne

    return environment(
        db="postgresql",
        broker="redis",
        server=f"daphne {daphne.__version__}",
        worker=f"one celery worker, {POOL} pool, concurrency {CONCURRENCY}",
    )


def report(name: str, *, path: str, acks: list[float], floor: list[float], backlog: dict, method: dict) -> dict:
    """Print the acknowledgement against its floor and write bench/results/<name>.json; returns
    the acknowledgement's figures."""
    ack, floor_figures = latency_figures(acks), latency_figures(floor)
    print(ack_line(path, ack, floor_figures))
    write_result(
        name,
        {
            f"POST {path} (ack)": {**ack, "target_p99_ms": TARGET_P99_MS},
            f"floor GET {FLOOR_PATH}": floor_figures,
            "backlog": backlog,
        },
        topology(),
        method={**method, "concurrency": 1, "connection": "keep-alive", "floor_requests": FLOOR_N},
    )
    return ack
