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

import os
import sys

import inbound_webhooks as inbound
from common import sessions_for_replay

from core.testing.live import LiveStack

N = int(os.environ.get("BENCH_N", "1000"))
PART = "PS11750057"


def django_on(stack: LiveStack) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DATABASE_URL"] = stack.database_url
    for key in ("REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(key, None)  # this process only writes rows; the stack's server and worker do the rest
    import django

    django.setup()


def main() -> int:
    if not inbound.services_ready():
        return 1
    with LiveStack(database="postgres", redis=True, celery_worker=False, extra_env=inbound.stack_env()) as stack:
        django_on(stack)
        from django.db.models import Max, Min

        from catalog.models import Product
        from checkout.models import CheckoutSession, Order, WebhookEvent
        from checkout.providers.offline_provider import event_sign, session_event

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

        acks, floor = inbound.acks_and_floor(
            stack,
            path="/webhooks/stripe",
            bodies=bodies,
            signature_header="Stripe-Signature",
            accepted=lambda answer: not answer.get("duplicate"),
        )
        stored = WebhookEvent.objects.count()
        assert stored == N, stored
        assert WebhookEvent.objects.filter(status="received").count() == N, "processed before the worker started?"

        boot, seconds = inbound.worker_until(
            stack,
            done=lambda: not WebhookEvent.objects.filter(status="received").exists(),
            timeout=300,
            what=lambda: "the backlog was not processed within 300 s",
        )
        span = WebhookEvent.objects.aggregate(a=Min("processed_at"), b=Max("processed_at"))
        orders = Order.objects.count()
        processed = WebhookEvent.objects.filter(status="processed").count()

    backlog = {
        "events": N,
        "processed": processed,
        "orders": orders,
        "seconds_including_worker_boot": round(seconds, 3),
        "worker_boot_s": round(boot, 3),
        "seconds_first_to_last_processed": round((span["b"] - span["a"]).total_seconds(), 3),
        "events_per_s": round(N / seconds, 1),
        "target_s": 10,
    }
    ack = inbound.report(
        "webhooks",
        path="/webhooks/stripe",
        acks=acks,
        floor=floor,
        backlog=backlog,
        method={"events": N, "event": "checkout.session.completed, one per session, signed with the webhook secret"},
    )
    print(
        f"backlog of {N}: {backlog['seconds_including_worker_boot']} s including worker boot "
        f"({backlog['worker_boot_s']} s), {backlog['seconds_first_to_last_processed']} s first→last processed; "
        f"{processed} processed, {orders} orders (target <= 10 s)"
    )
    ok = (
        ack["p99_ms"] <= inbound.TARGET_P99_MS
        and backlog["seconds_including_worker_boot"] <= 10
        and orders == N
        and processed == N
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
