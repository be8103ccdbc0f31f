"""Webhooks on the production topology: Daphne + PostgreSQL + Redis + one Celery worker.

1. Acknowledgement: N signed `checkout.session.completed` events POSTed one after another
   (one keep-alive connection) to /webhooks/stripe while no worker runs; each is verified,
   stored once and queued. Floor: GET /admin/login/ on the same server, same run.
   Target: p99 ≤ 20 ms.
2. Backlog: then one worker (solo pool) is started and the N queued events are processed
   (each: one order with its line, stock, the session and a `payment.confirmed` message).
   Timed from asking for the worker (boot included) to the last event processed, and also
   from the first to the last `processed_at`. Target: ≤ 10 s.
Needs DATABASE_URL (postgres://) and REDIS_URL. BENCH_N changes N (default 1000).
"""

import logging
import os
import sys
import time

import httpx
from common import environment, latency_figures, sessions_for_replay, write_result

from core.testing.live import LiveStack

N = int(os.environ.get("BENCH_N", "1000"))
# One worker process; its pool size is the machine's cores, as `celery worker` defaults to
# (BENCH_WORKER_POOL=solo BENCH_WORKER_CONCURRENCY=1 for the single-threaded figure).
POOL = os.environ.get("BENCH_WORKER_POOL", "prefork")
CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", str(os.cpu_count() or 1)))
FLOOR_N = 300
PART = "PS11750057"


def django_on(stack: LiveStack) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DATABASE_URL"] = stack.database_url
    for key in ("REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(key, None)  # this process only writes rows; the stack's server and worker do the rest
    import django

    django.setup()


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("needs DATABASE_URL=postgres://… and REDIS_URL")
        return 1
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Pooled database connections, as production runs (DATABASE_POOL=1): without a pool, ASGI
    # opens one PostgreSQL connection per request, several ms of every webhook's answer.
    env = {"DATABASE_POOL": os.environ.get("DATABASE_POOL", "1")}
    with LiveStack(database="postgres", redis=True, celery_worker=False, extra_env=env) as stack:
        django_on(stack)
        from django.db.models import Max, Min

        from catalog.models import Product
        from checkout.models import CheckoutSession, Order, WebhookEvent
        from checkout.providers.offline_provider import event_sign
        from checkout.testing import session_event

        Product.objects.filter(ps_number=PART).update(stock_quantity=10 * N)
        sessions = CheckoutSession.objects.bulk_create(sessions_for_replay(count=N, ps_number=PART, prefix="bw"))
        bodies = [
            event_sign(
                session_event(
                    session=s,
                    event_type="checkout.session.completed",
                    event_id=f"evt_bw_{i}",
                    payment_intent=f"pi_bw_{i}",
                )
            )
            for i, s in enumerate(sessions)
        ]

        acks, floor = [], []
        with httpx.Client(base_url=stack.base_url, timeout=10) as client:
            for _ in range(20):
                client.get("/admin/login/")
            for _ in range(FLOOR_N):
                start = time.perf_counter()
                assert client.get("/admin/login/").status_code == 200
                floor.append(time.perf_counter() - start)
            for payload, header in bodies:
                start = time.perf_counter()
                response = client.post(
                    "/webhooks/stripe",
                    content=payload,
                    headers={"Stripe-Signature": header, "Content-Type": "application/json"},
                )
                acks.append(time.perf_counter() - start)
                if response.status_code != 200 or response.json().get("duplicate"):
                    raise SystemExit(f"webhook answered {response.status_code}: {response.text[:200]}")
        stored = WebhookEvent.objects.count()
        assert stored == N, stored
        assert WebhookEvent.objects.filter(status="received").count() == N, "processed before the worker started?"

        asked = time.perf_counter()
        stack.start_worker(pool=POOL, concurrency=CONCURRENCY)
        ready = time.perf_counter()
        deadline = asked + 300
        while WebhookEvent.objects.filter(status="received").exists():
            if time.perf_counter() > deadline:
                raise SystemExit("the backlog was not processed within 300 s")
            time.sleep(0.05)
        done = time.perf_counter()
        span = WebhookEvent.objects.aggregate(a=Min("processed_at"), b=Max("processed_at"))
        orders = Order.objects.count()
        processed = WebhookEvent.objects.filter(status="processed").count()

    ack = latency_figures(acks)
    floor_stats = latency_figures(floor)
    backlog = {
        "events": N,
        "processed": processed,
        "orders": orders,
        "seconds_including_worker_boot": round(done - asked, 3),
        "worker_boot_s": round(ready - asked, 3),
        "seconds_first_to_last_processed": round((span["b"] - span["a"]).total_seconds(), 3),
        "events_per_s": round(N / (done - asked), 1),
        "target_s": 10,
    }
    print(
        f"POST /webhooks/stripe ack: p50={ack['p50_ms']:.2f} p95={ack['p95_ms']:.2f} p99={ack['p99_ms']:.2f} ms"
        f" (target p99 <= 20 ms); floor GET /admin/login/: p50={floor_stats['p50_ms']:.2f}"
        f" p99={floor_stats['p99_ms']:.2f} ms"
    )
    print(
        f"backlog of {N}: {backlog['seconds_including_worker_boot']} s including worker boot "
        f"({backlog['worker_boot_s']} s), {backlog['seconds_first_to_last_processed']} s first→last processed; "
        f"{processed} processed, {orders} orders (target <= 10 s)"
    )
    import daphne

    write_result(
        "webhooks",
        {
            "POST /webhooks/stripe (ack)": {**ack, "target_p99_ms": 20},
            "floor GET /admin/login/": floor_stats,
            "backlog": backlog,
        },
        environment(
            db="postgresql",
            broker="redis",
            server=f"daphne {daphne.__version__}",
            worker=f"one celery worker, {POOL} pool, concurrency {CONCURRENCY}",
        ),
        method={
            "events": N,
            "concurrency": 1,
            "connection": "keep-alive",
            "floor_requests": FLOOR_N,
            "event": "checkout.session.completed, one per session, signed with the webhook secret",
        },
    )
    ok = ack["p99_ms"] <= 20 and backlog["seconds_including_worker_boot"] <= 10 and orders == N and processed == N
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
