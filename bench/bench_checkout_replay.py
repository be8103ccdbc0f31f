"""Replay: 1,000 checkout sessions' webhook events, each delivered three times, shuffled.

A correctness figure, on the production topology (Daphne + PostgreSQL + Redis + one Celery
worker). Sessions end in one of six ways (paid; paid then refunded; async paid; async
failed; expired; paid with a late `expired`), so the events are `checkout.session.completed`,
`…async_payment_succeeded/failed`, `…expired` and `charge.refunded`. Every event is sent
three times, all deliveries shuffled and posted by 4 concurrent clients. One session in ten
is created in a transaction that stays open while every event is delivered (its events
arrive "before the session row commits") and commits afterwards; the task's retries must
pick them up. Then: exactly one order per paid session, the right final state for every
session, every event stored once and processed, nothing lost. BENCH_N changes the count.
"""

import logging
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from common import environment, sessions_for_replay, write_result

from core.testing.live import LiveStack

N = int(os.environ.get("BENCH_N", "1000"))
PART = "PS11750057"
COPIES = 3
CLIENTS = 4
OUTCOMES = [
    "paid",
    "paid",
    "paid",
    "paid",
    "paid_refunded",
    "async_paid",
    "async_failed",
    "expired",
    "paid_late_expiry",
    "paid",
]
EXPECTED = {  # outcome -> (session status, has order, order status)
    "paid": ("complete", True, "paid"),
    "paid_refunded": ("complete", True, "refunded"),
    "async_paid": ("complete", True, "paid"),
    "async_failed": ("failed", False, None),
    "expired": ("expired", False, None),
    "paid_late_expiry": ("complete", True, "paid"),
}


def django_on(stack: LiveStack) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DATABASE_URL"] = stack.database_url
    for key in ("REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(key, None)
    import django

    django.setup()


def events_for(i: int, session, outcome: str, base: int) -> list[dict]:
    from checkout.providers.offline_provider import session_event
    from checkout.testing import charge_refunded_event

    def ev(kind, suffix, **kw):
        return session_event(session=session, event_type=kind, event_id=f"evt_r{i}_{suffix}", **kw)

    pi = f"pi_r{i}"
    if outcome in ("paid", "paid_refunded", "paid_late_expiry"):
        out = [ev("checkout.session.completed", "c", created=base, payment_intent=pi)]
        if outcome == "paid_refunded":
            out.append(
                charge_refunded_event(
                    event_id=f"evt_r{i}_r",
                    payment_intent=pi,
                    amount=session.amount_total,
                    refunded=session.amount_total,
                    session_id=session.id,
                    created=base + 60,
                )
            )
        if outcome == "paid_late_expiry":
            out.append(
                ev("checkout.session.expired", "x", payment_status="unpaid", status="expired", created=base + 1800)
            )
        return out
    if outcome == "async_paid":
        return [
            ev("checkout.session.completed", "c", payment_status="unpaid", created=base),
            ev("checkout.session.async_payment_succeeded", "s", created=base + 30, payment_intent=pi),
        ]
    if outcome == "async_failed":
        return [
            ev("checkout.session.completed", "c", payment_status="unpaid", created=base),
            ev("checkout.session.async_payment_failed", "f", payment_status="unpaid", created=base + 30),
        ]
    return [ev("checkout.session.expired", "x", payment_status="unpaid", status="expired", created=base + 1800)]


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("needs DATABASE_URL=postgres://… and REDIS_URL")
        return 1
    logging.getLogger("httpx").setLevel(logging.WARNING)
    rng = random.Random(20261124)
    env = {"DATABASE_POOL": "1"}
    with LiveStack(database="postgres", redis=True, celery_worker=True, extra_env=env) as stack:
        django_on(stack)
        from django.db import transaction

        from catalog.models import Product
        from checkout.models import CheckoutSession, Order, WebhookEvent
        from checkout.providers.offline_provider import event_sign
        from conversations.models import Message

        Product.objects.filter(ps_number=PART).update(stock_quantity=10 * N)
        stock_before = Product.objects.get(ps_number=PART).stock_quantity
        outcomes = [OUTCOMES[i % len(OUTCOMES)] for i in range(N)]
        late = {i for i in range(N) if i % 10 == 3}
        base = int(time.time())
        early_rows = sessions_for_replay(count=N, ps_number=PART, prefix="r")
        sessions = list(early_rows)
        CheckoutSession.objects.bulk_create([s for i, s in enumerate(sessions) if i not in late])

        deliveries = []
        for i, session in enumerate(sessions):
            for event in events_for(i, session, outcomes[i], base):
                deliveries += [event_sign(event)] * COPIES
        rng.shuffle(deliveries)
        unique_events = len(deliveries) // COPIES

        answers = {"new": 0, "duplicate": 0, "error": 0}

        def post(batch):
            counts = {"new": 0, "duplicate": 0, "error": 0}
            with httpx.Client(base_url=stack.base_url, timeout=30) as client:
                for payload, header in batch:
                    r = client.post("/webhooks/stripe", content=payload, headers={"Stripe-Signature": header})
                    if r.status_code != 200:
                        counts["error"] += 1
                    else:
                        counts["duplicate" if r.json()["duplicate"] else "new"] += 1
            return counts

        started = time.perf_counter()
        # The late sessions' rows exist only inside this open transaction while everything is delivered.
        late_rows = [s for i, s in enumerate(sessions) if i in late]
        with transaction.atomic():
            CheckoutSession.objects.bulk_create(late_rows)
            with ThreadPoolExecutor(CLIENTS) as pool:
                for counts in pool.map(post, [deliveries[k::CLIENTS] for k in range(CLIENTS)]):
                    for key, value in counts.items():
                        answers[key] += value
            delivered = time.perf_counter()
            waiting_before_commit = WebhookEvent.objects.filter(status="received").count()
        deadline = time.perf_counter() + 600
        while WebhookEvent.objects.filter(status="received").exists() and time.perf_counter() < deadline:
            time.sleep(0.5)
        settled = time.perf_counter()

        statuses = dict(CheckoutSession.objects.values_list("id", "status"))
        orders = {}
        for session_id, status in Order.objects.values_list("checkout_session_id", "status"):
            orders.setdefault(session_id, []).append(status)
        confirmations = {}
        for conv in Message.objects.filter(message_type="payment_confirmed").values_list("conversation_id", flat=True):
            confirmations[conv] = confirmations.get(conv, 0) + 1
        wrong = []
        for i, session in enumerate(sessions):
            status, has_order, order_status = EXPECTED[outcomes[i]]
            got = (statuses.get(session.id), orders.get(session.id, []), confirmations.get(session.conversation_id, 0))
            want = (status, [order_status] if has_order else [], 1 if has_order else 0)
            if got != want:
                wrong.append((i, outcomes[i], got, want))
        stock_after = Product.objects.get(ps_number=PART).stock_quantity
        paid = sum(1 for o in outcomes if EXPECTED[o][1])
        figures = {
            "sessions": N,
            "late_sessions": len(late),
            "deliveries": len(deliveries),
            "unique_events": unique_events,
            "acks_new": answers["new"],
            "acks_duplicate": answers["duplicate"],
            "acks_error": answers["error"],
            "events_stored": WebhookEvent.objects.count(),
            "events_processed": WebhookEvent.objects.filter(status="processed").count(),
            "events_left_unprocessed": WebhookEvent.objects.exclude(status="processed").count(),
            "events_waiting_when_late_rows_committed": waiting_before_commit,
            "paid_sessions": paid,
            "orders": Order.objects.count(),
            "sessions_with_2_or_more_orders": sum(1 for v in orders.values() if len(v) > 1),
            "refunded_orders": Order.objects.filter(status="refunded").count(),
            "stock_decrement": stock_before - stock_after,
            "sessions_in_wrong_final_state": len(wrong),
            "delivery_seconds": round(delivered - started, 1),
            "settled_seconds_after_delivery": round(settled - delivered, 1),
        }
    for key, value in figures.items():
        print(f"{key}: {value}")
    for row in wrong[:10]:
        print("WRONG", row)
    correct = (
        not wrong
        and figures["orders"] == paid
        and figures["events_stored"] == unique_events
        and figures["events_left_unprocessed"] == 0
        and figures["acks_new"] == unique_events
        and figures["acks_error"] == 0
        and figures["stock_decrement"] == paid
    )
    figures["correct"] = int(correct)
    import daphne

    write_result(
        "checkout_replay",
        {"replay": figures},
        environment(db="postgresql", broker="redis", server=f"daphne {daphne.__version__}", worker="celery solo x1"),
        method={"copies_per_event": COPIES, "clients": CLIENTS, "seed": 20261124, "outcomes": OUTCOMES},
    )
    print("CORRECT" if correct else "INCORRECT")
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
