"""WhatsApp inbound on the production topology: Daphne + PostgreSQL + Redis + one Celery worker.

1. Acknowledgement: N signed WhatsApp text webhooks (N different numbers, one message each)
   POSTed one after another (one keep-alive connection) to /webhooks/whatsapp while no worker
   runs; each is verified (X-Hub-Signature-256), stored once and queued. Floor: GET /admin/login/
   on the same server, same run. Target: p99 ≤ 20 ms (as /webhooks/stripe).
2. Backlog: one worker is started with the local Cloud API stub as WHATSAPP_API_BASE; timed from
   asking for the worker (boot included) until every message has its reply accepted by the stub
   (each: customer + contact + conversation found or made, the assistant's reply and its action
   rules, the outbox delivery, one HTTP request to the stub). Reported, no target.
Needs DATABASE_URL (postgres://) and REDIS_URL. BENCH_N changes N (default 200).
"""

import json
import logging
import os
import sys
import time

import httpx
from common import environment, latency_figures, write_result

from conversations.tests import whatsapp_webhooks as wh
from conversations.tests.whatsapp_stub import WhatsAppStub
from core.testing.live import LiveStack

N = int(os.environ.get("BENCH_N", "200"))
POOL = os.environ.get("BENCH_WORKER_POOL", "prefork")
CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", str(os.cpu_count() or 1)))
FLOOR_N = 300
QUESTION = "Is PS11750057 compatible with my WDT780SAEM1?"


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("needs DATABASE_URL=postgres://… and REDIS_URL")
        return 1
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with WhatsAppStub() as stub:
        env = {
            "DATABASE_POOL": os.environ.get("DATABASE_POOL", "1"),
            "WHATSAPP_API_BASE": stub.url + "/v21.0",
            "WHATSAPP_TOKEN": "bench-token",
            "WHATSAPP_PHONE_NUMBER_ID": wh.PHONE_NUMBER_ID,
            "WHATSAPP_APP_SECRET": wh.APP_SECRET,
        }
        with LiveStack(database="postgres", redis=True, celery_worker=False, extra_env=env) as stack:
            bodies = []
            for i in range(N):
                wa_id = f"1202555{i:04d}"
                raw = json.dumps(wh.envelope(messages=[wh.text(QUESTION, wa_id=wa_id)], wa_id=wa_id)).encode()
                bodies.append((raw, wh.sign(raw)))

            acks, floor = [], []
            with httpx.Client(base_url=stack.base_url, timeout=10) as client:
                for _ in range(20):
                    client.get("/admin/login/")
                for _ in range(FLOOR_N):
                    start = time.perf_counter()
                    assert client.get("/admin/login/").status_code == 200
                    floor.append(time.perf_counter() - start)
                for raw, signature in bodies:
                    start = time.perf_counter()
                    response = client.post(
                        "/webhooks/whatsapp",
                        content=raw,
                        headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
                    )
                    acks.append(time.perf_counter() - start)
                    if response.status_code != 200 or response.json().get("stored") != 1:
                        raise SystemExit(f"webhook answered {response.status_code}: {response.text[:200]}")
            if stub.requests:
                raise SystemExit("replies were sent before the worker started?")

            asked = time.perf_counter()
            stack.start_worker(pool=POOL, concurrency=CONCURRENCY)
            ready = time.perf_counter()
            deadline = asked + 600
            while len(stub.requests) < N:
                if time.perf_counter() > deadline:
                    raise SystemExit(f"only {len(stub.requests)} of {N} replies within 600 s")
                time.sleep(0.05)
            done = time.perf_counter()
            replies = len(stub.requests)
            recipients = len({r["json"]["to"] for r in stub.requests})

    ack = latency_figures(acks)
    floor_stats = latency_figures(floor)
    backlog = {
        "messages": N,
        "replies": replies,
        "distinct_recipients": recipients,
        "seconds_including_worker_boot": round(done - asked, 3),
        "worker_boot_s": round(ready - asked, 3),
        "replies_per_s": round(N / (done - asked), 1),
    }
    print(
        f"POST /webhooks/whatsapp ack: p50={ack['p50_ms']:.2f} p95={ack['p95_ms']:.2f} p99={ack['p99_ms']:.2f} ms"
        f" (target p99 <= 20 ms); floor GET /admin/login/: p50={floor_stats['p50_ms']:.2f}"
        f" p99={floor_stats['p99_ms']:.2f} ms"
    )
    print(
        f"backlog of {N}: every reply at the Cloud API stub {backlog['seconds_including_worker_boot']} s after asking "
        f"for the worker ({backlog['worker_boot_s']} s boot), {backlog['replies_per_s']} replies/s"
    )
    import daphne

    write_result(
        "whatsapp_webhook",
        {
            "POST /webhooks/whatsapp (ack)": {**ack, "target_p99_ms": 20},
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
            "messages": N,
            "concurrency": 1,
            "connection": "keep-alive",
            "floor_requests": FLOOR_N,
            "message": "one signed text webhook per number (the offline rules assistant answers)",
        },
    )
    ok = ack["p99_ms"] <= 20 and replies == N and recipients == N
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
