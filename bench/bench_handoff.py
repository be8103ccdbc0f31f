"""Operator reply → the customer's `message` frame, across two Daphne processes.

Topology as bench_action_status.py: PostgreSQL + Redis (channel layer), two Daphne processes on
the same database and Redis, no Celery worker (a web conversation's operator reply needs none:
the stored message is pushed on commit). N customers (default 1,000), each in a web conversation
of its own that an operator already holds (`handling: assigned`), hold a WebSocket each, half on
each Daphne (asyncio + `websockets`, one process). Then:

1. Floor: FLOOR_N bare `group_send`s (channels_redis, from this process) of a `message` event
   to a customer's conversation group, at RATE/s, stamped at send time: Redis → Daphne →
   socket, no Django view, no database.
2. Replies: N `POST /api/operator/conversations/{id}/messages` (operator token), one per
   conversation, alternating between the two Daphnes, at a steady RATE/s from a process of its
   own (open loop). Latency = the `role: "operator"` frame's arrival at the customer's socket
   minus the moment the POST was sent: the whole operator path (HTTP, the reply service under
   the conversation's row lock, commit, push). A reply whose frame has not arrived 10 s after
   the last one is counted lost; a frame that arrives twice is counted as a duplicate.

Beside each timed step: the full (and longest young) garbage collections in it, of both Daphnes
(from their logs: they log every collection of 1 ms or more here) and of this client, which holds
the sockets and tunes its collector as the servers do once they are open; a full collection
stops a whole process, and the client's count in every latency, the floor's as much.

Target: p99 ≤ 50 ms, none lost, no duplicate. Needs DATABASE_URL (postgres://) and REDIS_URL.
`BENCH_N`, `BENCH_RATE` (50), `BENCH_FLOOR_N` (500).
"""

import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import httpx
import websockets
from bench_action_status import django_on, start_second_daphne
from common import (
    GC_LOG_ENV,
    ClientCollections,
    client_gc_tune,
    collections_figures,
    environment,
    figures_print,
    latency_figures,
    load_average,
    process_cpu_seconds,
    server_collections,
    write_result,
)

from core.testing.live import LiveStack

N = int(os.environ.get("BENCH_N", "1000"))
RATE = float(os.environ.get("BENCH_RATE", "50"))
FLOOR_N = int(os.environ.get("BENCH_FLOOR_N", "500"))
WARMUP = 20  # replies to conversations of their own before anything is timed (each server's first calls)
HANDSHAKES = int(os.environ.get("BENCH_HANDSHAKES", "50"))  # sockets opening at once (not timed)


def make_data(n: int) -> tuple[str, list[dict]]:
    """n web conversations an operator holds (each with its open handoff), and the operator's token."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from conversations.enums import Handling
    from conversations.models import Conversation, Customer, Handoff
    from core.ids import new_token, token_hash

    operator = get_user_model().objects.create_user(
        username="bench-operator", password="x" * 12, is_staff=True, first_name="Dana"
    )
    api_token = Token.objects.create(user=operator).key
    now = timezone.now()
    with transaction.atomic():
        customers = Customer.objects.bulk_create([Customer(name=f"Bench {i}") for i in range(n)])
        tokens = [new_token() for _ in range(n)]
        conversations = Conversation.objects.bulk_create(
            [
                Conversation(customer=c, token_hash=token_hash(t), handling=Handling.ASSIGNED, assignee=operator)
                for c, t in zip(customers, tokens, strict=True)
            ]
        )
        Handoff.objects.bulk_create(
            [
                Handoff(
                    conversation=c,
                    reason="customer_asked",
                    requested_by="customer",
                    requested_at=now,
                    operator=operator,
                    assigned_at=now,
                )
                for c in conversations
            ]
        )
    return api_token, [{"conversation": c.id, "token": t} for c, t in zip(conversations, tokens, strict=True)]


async def run(
    stack: LiveStack, pids: list[int], bases: list[str], api_token: str, rows: list[dict], warmup: list[str]
) -> dict:
    from channels_redis.core import RedisChannelLayer

    from core.realtime import conversation_group

    arrived: dict[str, float] = {}  # reply key -> epoch seconds the frame arrived
    duplicates = 0
    floor: dict[str, float] = {}
    floor_sent: dict[str, float] = {}
    connected = 0
    sockets = []

    async def client(row: dict, base: str, ready: asyncio.Event):
        nonlocal connected, duplicates
        url = base.replace("http", "ws", 1) + f"/ws/chat/{row['conversation']}/?token={row['token']}"
        for attempt in range(5):
            try:
                async with handshakes:  # a bounded number at once: each handshake reads the database
                    socket = await websockets.connect(url, origin=base, open_timeout=30, ping_interval=None)
                break
            except (OSError, websockets.WebSocketException, TimeoutError):
                await asyncio.sleep(0.5 * (attempt + 1))
        else:
            return
        sockets.append(socket)
        connected += 1
        if connected == len(rows):
            ready.set()
        try:
            async for raw in socket:
                now = time.time()
                event = json.loads(raw)
                if event.get("type") != "message":
                    continue
                message = event["message"]
                if message.get("id", "").startswith("floor-"):
                    floor[message["id"]] = now - floor_sent[message["id"]]
                elif message.get("role") == "operator":
                    key = message["content"]
                    if key in arrived:
                        duplicates += 1
                    else:
                        arrived[key] = now
        except websockets.ConnectionClosed:
            pass

    handshakes = asyncio.Semaphore(HANDSHAKES)
    ready = asyncio.Event()
    tasks = []
    for i, row in enumerate(rows):
        tasks.append(asyncio.create_task(client(row, bases[i % 2], ready)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # do not SYN-flood two single-threaded servers
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ready.wait(), 120)
    print(f"{connected}/{len(rows)} sockets connected across {len(bases)} Daphne processes")
    client_gc_tune()
    async with httpx.AsyncClient(headers={"Authorization": f"Token {api_token}"}, timeout=60) as http:
        for i, conversation_id in enumerate(warmup):
            await http.post(
                f"{bases[i % 2]}/api/operator/conversations/{conversation_id}/messages", json={"content": f"warm {i}"}
            )
    await asyncio.sleep(1.0)

    # 1. Floor: bare group_send through the same Redis, to the same consumers.
    layer = RedisChannelLayer(hosts=[stack.redis_url], prefix=stack.env["CHANNEL_LAYER_PREFIX"], capacity=5000)
    floor_began = time.time()
    start = time.perf_counter()
    for i in range(FLOOR_N):
        await asyncio.sleep(max(0.0, start + i / RATE - time.perf_counter()))
        row = rows[(i * 7) % len(rows)]
        key = f"floor-{i}"
        floor_sent[key] = time.time()
        await layer.group_send(
            conversation_group(row["conversation"]),
            {"type": "message", "seq": 0, "message": {"id": key, "role": "operator", "content": key}},
        )
    await asyncio.sleep(2.0)
    floor_window = (floor_began, time.time())

    # 2. Replies at a steady rate, open loop, from a process of their own.
    spawn = multiprocessing.get_context("spawn")  # a fork would inherit this running event loop
    results = spawn.Queue()
    sender = spawn.Process(
        target=send_replies, args=(bases, api_token, [row["conversation"] for row in rows], RATE, results)
    )
    cpu_before = sum(process_cpu_seconds(pid) for pid in pids)
    replies_began = time.time()
    sender.start()
    while results.empty() and sender.is_alive():
        await asyncio.sleep(0.2)
    if results.empty():
        errors, sent_at, sent_seconds = ["the sender process died"], {}, 1.0
    else:
        errors, sent_at, sent_seconds = results.get(timeout=5)
    sender.join(5)
    deadline = time.monotonic() + 10
    while len(arrived) < len(rows) - len(errors) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    cpu = sum(process_cpu_seconds(pid) for pid in pids) - cpu_before
    replies_window = (replies_began, max(arrived.values(), default=time.time()))
    for socket in sockets:
        await socket.close()
    for task in tasks:
        task.cancel()
    return {
        "connected": connected,
        "latencies": [arrived[key] - sent for key, sent in sent_at.items() if key in arrived],
        "floor": list(floor.values()),
        "errors": errors,
        "duplicates": duplicates,
        "achieved_rate": len(rows) / sent_seconds,
        "cpu_ms_per_reply": cpu * 1000 / len(rows),
        "floor_window": floor_window,
        "replies_window": replies_window,
    }


def send_replies(bases: list[str], api_token: str, conversation_ids: list[str], rate: float, results) -> None:
    """In a child process: one operator reply per conversation at `rate` per second, alternating
    servers; returns (errors, {reply text: epoch seconds the POST was sent}, seconds taken)."""

    async def go():
        errors: list[str] = []
        sent_at: dict[str, float] = {}
        http = [
            httpx.AsyncClient(base_url=b, headers={"Authorization": f"Token {api_token}"}, timeout=30) for b in bases
        ]

        async def reply(i: int, conversation_id: str):
            text = f"bench reply {i}"
            try:
                sent_at[text] = time.time()
                response = await http[i % 2].post(
                    f"/api/operator/conversations/{conversation_id}/messages", json={"content": text}
                )
                if response.status_code != 201:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                    sent_at.pop(text, None)
            except httpx.HTTPError as exc:
                errors.append(repr(exc))
                sent_at.pop(text, None)

        start = time.perf_counter()
        posts = []
        for i, conversation_id in enumerate(conversation_ids):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            posts.append(asyncio.create_task(reply(i, conversation_id)))
        await asyncio.gather(*posts)
        sent_seconds = time.perf_counter() - start
        for client in http:
            await client.aclose()
        return errors, sent_at, sent_seconds

    logging.getLogger("httpx").setLevel(logging.WARNING)
    results.put(asyncio.run(go()))


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("needs DATABASE_URL=postgres://… and REDIS_URL")
        return 1
    logging.getLogger("httpx").setLevel(logging.WARNING)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 8192)), hard))
    env = {
        "DATABASE_POOL": os.environ.get("DATABASE_POOL", "1"),
        "DATABASE_POOL_MAX": os.environ.get("DATABASE_POOL_MAX", "10"),
        **GC_LOG_ENV,
    }
    load_before = load_average()
    with LiveStack(database="postgres", redis=True, celery_worker=False, extra_env=env) as stack:
        second, second_base, second_log = start_second_daphne(stack)
        try:
            django_on(stack)
            api_token, rows = make_data(N + WARMUP)
            rows, warmup = rows[:N], [row["conversation"] for row in rows[N:]]
            pids = [stack.server.pid, second.pid]
            with ClientCollections() as client_gcs:
                result = asyncio.run(run(stack, pids, [stack.base_url, second_base], api_token, rows, warmup))
            server_logs = [stack.server.log_path, Path(second_log.name)]
            for window in ("floor_window", "replies_window"):
                result[window] = {
                    **collections_figures(server_collections(server_logs, *result[window]), "daphnes"),
                    **collections_figures(client_gcs.between(*result[window]), "client"),
                }
        finally:
            second.terminate()
            try:
                second.wait(10)
            except subprocess.TimeoutExpired:
                second.kill()
            second_log.close()

    replies = latency_figures(result["latencies"]) if result["latencies"] else {"n": 0}
    floor = latency_figures(result["floor"]) if result["floor"] else {"n": 0}
    lost = N - len(result["errors"]) - len(result["latencies"])
    figures = {
        "operator reply POST → customer's message frame": {
            **replies,
            "lost": lost,
            "duplicates": result["duplicates"],
            "http_errors": len(result["errors"]),
            "daphne_cpu_ms_per_reply": result["cpu_ms_per_reply"],
            **result["replies_window"],
        },
        "bare group_send round trip (floor)": {
            **floor,
            "lost": FLOOR_N - len(result["floor"]),
            **result["floor_window"],
        },
    }
    figures_print(figures)
    print(
        f"sockets connected {result['connected']}/{N}; replies sent at {result['achieved_rate']:.1f}/s; "
        f"load average before {load_before}, after {load_average()}"
    )
    if result["errors"]:
        print("first errors:", result["errors"][:3])
    write_result(
        "handoff",
        figures,
        environment(db="postgresql", channel_layer="redis", daphne_processes=2, celery_worker=False),
        method={
            "clients": N,
            "replies": N,
            "rate_per_s": RATE,
            "floor_sends": FLOOR_N,
            "load_average_before": load_before,
            "measured_from": "the operator's POST being sent (HTTP, service, commit, push included)",
            "client": "one asyncio process for the sockets, one for the POSTs, same machine",
            "target": "p99 ≤ 50 ms, none lost, no duplicate",
        },
    )
    ok = lost == 0 and not result["errors"] and not result["duplicates"] and replies.get("p99_ms", 1e9) <= 50
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
