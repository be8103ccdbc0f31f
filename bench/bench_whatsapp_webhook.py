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
import os
import sys

import inbound_webhooks as inbound

from conversations.tests import whatsapp_webhooks as wh
from conversations.tests.whatsapp_stub import WhatsAppStub
from core.testing.live import LiveStack

N = int(os.environ.get("BENCH_N", "200"))
QUESTION = "Is PS11750057 compatible with my WDT780SAEM1?"


def main() -> int:
    if not inbound.services_ready():
        return 1
    with WhatsAppStub() as stub:
        env = inbound.stack_env(
            WHATSAPP_API_BASE=stub.url + "/v21.0",
            WHATSAPP_TOKEN="bench-token",
            WHATSAPP_PHONE_NUMBER_ID=wh.PHONE_NUMBER_ID,
            WHATSAPP_APP_SECRET=wh.APP_SECRET,
        )
        with LiveStack(database="postgres", redis=True, celery_worker=False, extra_env=env) as stack:
            bodies = []
            for i in range(N):
                wa_id = f"1202555{i:04d}"
                raw = json.dumps(wh.envelope(messages=[wh.text(QUESTION, wa_id=wa_id)], wa_id=wa_id)).encode()
                bodies.append((raw, wh.sign(raw)))

            acks, floor = inbound.acks_and_floor(
                stack,
                path="/webhooks/whatsapp",
                bodies=bodies,
                signature_header="X-Hub-Signature-256",
                accepted=lambda answer: answer.get("stored") == 1,
            )
            if stub.requests:
                raise SystemExit("replies were sent before the worker started?")

            boot, seconds = inbound.worker_until(
                stack,
                done=lambda: len(stub.requests) >= N,
                timeout=600,
                what=lambda: f"only {len(stub.requests)} of {N} replies within 600 s",
            )
            replies = len(stub.requests)
            recipients = len({r["json"]["to"] for r in stub.requests})

    backlog = {
        "messages": N,
        "replies": replies,
        "distinct_recipients": recipients,
        "seconds_including_worker_boot": round(seconds, 3),
        "worker_boot_s": round(boot, 3),
        "replies_per_s": round(N / seconds, 1),
    }
    ack = inbound.report(
        "whatsapp_webhook",
        path="/webhooks/whatsapp",
        acks=acks,
        floor=floor,
        backlog=backlog,
        method={"messages": N, "message": "one signed text webhook per number (the offline rules assistant answers)"},
    )
    print(
        f"backlog of {N}: every reply at the Cloud API stub {backlog['seconds_including_worker_boot']} s after asking "
        f"for the worker ({backlog['worker_boot_s']} s boot), {backlog['replies_per_s']} replies/s"
    )
    ok = ack["p99_ms"] <= inbound.TARGET_P99_MS and replies == N and recipients == N
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
