"""Client telemetry ingest through the real endpoint: POST /api/analytics/events on Daphne + PostgreSQL.

Target: ≥ 20,000 events/s accepted.

Starts a LiveStack (Daphne, PostgreSQL database of its own with the demo shop, Redis for the
rate limiter's counters), opens one conversation per client through the chat API (each client
holds its own conversation token, as a browser does), pre-builds every request body, then
`BENCH_CLIENTS` (default 8) threads, each with one keep-alive connection, post `BENCH_BATCHES`
(default 400) batches of 500 events between them. Reported: events/s accepted (wall clock from
first request to last response), request latency percentiles, and in the same run the floor: the
same endpoint with an empty batch (parse, auth, rate limit, no insert) and GET /admin/login/, at
the same concurrency. The per-client limits are raised for the run (PARLEY_ANALYTICS_RATE_*):
the limiter still counts every request in Redis. Daphne runs with DATABASE_POOL=1 (Django's
psycopg pool, the production setting; BENCH_POOL=0 connects per request instead). Afterwards the database must hold exactly the
events sent, and a replay of one batch must be all duplicates.
"""

import json
import os
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from common import environment, latency_figures, write_result  # bench/common.py; puts the repo on sys.path

from core.testing.live import LiveStack

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
BATCHES = int(os.environ.get("BENCH_BATCHES", "400"))
BATCH = 500
FLOOR_REQUESTS = int(os.environ.get("BENCH_FLOOR_REQUESTS", "400"))
TARGET = 20_000
POOL = os.environ.get("BENCH_POOL", "1") == "1"  # DATABASE_POOL=1, as production runs
NAMES = ["chat_opened", "action_clicked", "payment_link_clicked", "conversation_abandoned"]
TYPES = ["checkout_now", "check_compatible_alternatives", "notify_when_in_stock"]
PARTS = ["PS11750057", "PS11752778", "PS12584610", "PS11739035"]


def body_for(conversation_id: str, client: int, batch: int) -> bytes:
    now = datetime.now(UTC)
    events = []
    for i in range(BATCH):
        name = NAMES[i % len(NAMES)]
        event = {
            "event_id": f"b{client}-{batch}-{i}",
            "name": name,
            "occurred_at": (now - timedelta(seconds=i % 300)).isoformat().replace("+00:00", "Z"),
            "conversation_id": conversation_id,
            "psNumber": PARTS[i % len(PARTS)],
        }
        if name == "action_clicked":
            event["action_type"] = TYPES[i % len(TYPES)]
            event["action_id"] = f"act_{uuid.uuid4().hex[:20]}"
        events.append(event)
    return json.dumps({"events": events}).encode()


def run_clients(base_url: str, jobs: list[list[tuple[str, bytes, dict]]]) -> tuple[float, list[float], list[dict]]:
    """Each job list runs on its own thread and connection; returns wall seconds, latencies, bodies."""
    latencies: list[float] = []
    results: list[dict] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(jobs) + 1)

    def worker(job):
        mine_lat, mine_res = [], []
        with httpx.Client(base_url=base_url, timeout=60) as client:
            client.get("/admin/login/")  # connect before the clock starts
            barrier.wait()
            for method, path, content, headers in job:
                start = time.perf_counter()
                response = client.request(method, path, content=content, headers=headers)
                mine_lat.append(time.perf_counter() - start)
                if response.status_code != 200:
                    errors.append(f"{method} {path}: {response.status_code} {response.text[:300]}")
                    return
                if method == "POST":
                    mine_res.append(response.json())
        with lock:
            latencies.extend(mine_lat)
            results.extend(mine_res)

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise SystemExit("request failed: " + errors[0])
    return wall, latencies, results


def main() -> int:
    import daphne
    import psycopg

    extra = {"PARLEY_ANALYTICS_RATE_REQUESTS": "1000000", "PARLEY_ANALYTICS_RATE_EVENTS": "1000000000"}
    if POOL:
        extra["DATABASE_POOL"] = "1"
    with LiveStack(database="postgres", redis=True, extra_env=extra) as stack:
        conversations = []
        with httpx.Client(base_url=stack.base_url, timeout=30) as client:
            for _ in range(CLIENTS):
                response = client.post("/api/chat/conversations", json={"channel": "web"})
                response.raise_for_status()
                conversations.append((response.json()["id"], response.json()["token"]))

        def headers(token):
            return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        # the floor: same endpoint, empty batch; and a bare page
        empty = json.dumps({"events": []}).encode()
        floor_jobs = [
            [("POST", "/api/analytics/events", empty, headers(conversations[c][1]))] * (FLOOR_REQUESTS // CLIENTS)
            for c in range(CLIENTS)
        ]
        floor_wall, floor_lat, _ = run_clients(stack.base_url, floor_jobs)
        page_jobs = [[("GET", "/admin/login/", None, {})] * (FLOOR_REQUESTS // CLIENTS) for _ in range(CLIENTS)]
        page_wall, page_lat, _ = run_clients(stack.base_url, page_jobs)

        # the run: pre-built bodies, round-robin over clients
        print(f"building {BATCHES} batches of {BATCH} events…", flush=True)
        jobs = [[] for _ in range(CLIENTS)]
        for b in range(BATCHES):
            c = b % CLIENTS
            conversation_id, token = conversations[c]
            jobs[c].append(("POST", "/api/analytics/events", body_for(conversation_id, c, b), headers(token)))
        wall, lat, results = run_clients(stack.base_url, jobs)
        accepted = sum(r["accepted"] for r in results)
        rejected = sum(len(r["rejected"]) for r in results)
        duplicates = sum(r["duplicates"] for r in results)
        sent = BATCHES * BATCH

        # the database holds exactly what was sent; a replay is all duplicates
        with psycopg.connect(stack.database_url.replace("postgres://", "postgresql://", 1)) as conn:
            stored = conn.execute("SELECT count(*) FROM analytics_event WHERE source = 'client'").fetchone()[0]
        replay = httpx.post(
            stack.url("/api/analytics/events"), content=jobs[0][0][2], headers=jobs[0][0][3], timeout=30
        ).json()

    rate = accepted / wall
    floor_rps = len(floor_lat) / floor_wall
    page_rps = len(page_lat) / page_wall
    figures = {
        "ingest": {
            **latency_figures(lat),
            "events_per_s": round(rate),
            "batches": BATCHES,
            "events_sent": sent,
            "accepted": accepted,
            "duplicates": duplicates,
            "rejected": rejected,
            "stored": stored,
            "wall_s": round(wall, 2),
        },
        "floor: POST empty batch": {**latency_figures(floor_lat), "throughput_req_per_s": round(floor_rps)},
        "floor: GET /admin/login/": {**latency_figures(page_lat), "throughput_req_per_s": round(page_rps)},
    }
    print(
        f"ingest: {accepted:,} of {sent:,} events accepted in {wall:.2f} s = {rate:,.0f} events/s "
        f"({len(lat) / wall:.1f} batches/s; p50 {figures['ingest']['p50_ms']:.1f} ms, p99 {figures['ingest']['p99_ms']:.1f} ms "
        f"per batch of {BATCH}); stored {stored:,}; replay: {replay['duplicates']} duplicates, {replay['accepted']} accepted"
    )
    print(
        f"floor: empty batch {floor_rps:,.0f} req/s (p50 {figures['floor: POST empty batch']['p50_ms']:.1f} ms); "
        f"GET /admin/login/ {page_rps:,.0f} req/s — same concurrency ({CLIENTS} clients)"
    )
    ok = accepted == sent == stored and replay["duplicates"] == BATCH and rate >= TARGET
    print(f"target ≥ {TARGET:,} events/s: {'PASS' if rate >= TARGET else 'FAIL'}")
    write_result(
        "analytics_ingest",
        figures,
        environment(db="postgresql", server=f"daphne {daphne.__version__} (one process)", rate_limiter="redis"),
        method={
            "clients": CLIENTS,
            "batch_size": BATCH,
            "batches": BATCHES,
            "connection": "keep-alive, one per client thread",
            "bodies": "pre-built before the clock starts",
            "target_events_per_s": TARGET,
            "rate_limits_raised": extra,
        },
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
