"""Operator decision → `action.status` at the customer's socket, across two Daphne processes.

Topology: PostgreSQL + Redis (channel layer and broker), two Daphne processes on the same
database and Redis. By default no Celery worker runs on this 2-core machine: the decisions'
reply deliveries wait in the broker, so the figure is the push path itself (in production the
workers run on their own cores). BENCH_WORKER=1 adds one worker delivering the replies while
the decisions come in: the same push path, sharing the two cores with it. N customers (default 1,000), each in a conversation of its own with one
pending `policy_exception` action, hold a WebSocket each, half on each Daphne (asyncio +
`websockets`, one process). Then:

1. Floor: FLOOR_N bare `group_send`s (channels_redis, from this process) of an
   `action.status` event to a customer's conversation group, at 50/s, stamped at send time:
   Redis → Daphne → socket, no Django view, no database.
2. Decisions: N `POST /api/actions/{id}/feedback` (operator token), alternating between the
   two Daphnes, at a steady 50/s (open loop: each is sent at its scheduled time whatever the
   previous one did). Latency = the frame's arrival at the client minus `committed_at`, the
   epoch-ms the server stamps in the on-commit callback that pushes the event. A decision
   whose `approved` frame has not arrived 10 s after the last one is counted lost.

Target: p99 ≤ 50 ms, none lost. Needs DATABASE_URL (postgres://) and REDIS_URL.
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

import httpx
import websockets
from common import REPO, environment, figures_print, latency_figures, write_result

from core.testing.live import LiveStack, free_port, tail

N = int(os.environ.get("BENCH_N", "1000"))
RATE = float(os.environ.get("BENCH_RATE", "50"))
FLOOR_N = int(os.environ.get("BENCH_FLOOR_N", "500"))
WITH_WORKER = os.environ.get("BENCH_WORKER", "0") == "1"


def django_on(stack: LiveStack) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DATABASE_URL"] = stack.database_url
    for key in ("REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(key, None)  # this process only writes rows
    import django

    django.setup()


def make_data(n: int) -> tuple[str, list[dict]]:
    """n conversations with one pending action each, and an operator token."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from actions.models import Action
    from conversations.models import Conversation, Customer
    from core.ids import new_token, token_hash

    operator = get_user_model().objects.create_user(username="bench-operator", password="x" * 12, is_staff=True)
    api_token = Token.objects.create(user=operator).key
    rows = []
    with transaction.atomic():
        customers = Customer.objects.bulk_create([Customer(name=f"Bench {i}") for i in range(n)])
        tokens = [new_token() for _ in range(n)]
        conversations = Conversation.objects.bulk_create(
            [Conversation(customer=c, token_hash=token_hash(t)) for c, t in zip(customers, tokens, strict=True)]
        )
        actions = Action.objects.bulk_create(
            [
                Action(
                    conversation=c,
                    type="policy_exception",
                    label="Late return",
                    payload={"reason": "bench"},
                    status="pending_approval",
                    enabled=False,
                )
                for c in conversations
            ]
        )
        for conversation, token, action in zip(conversations, tokens, actions, strict=True):
            rows.append({"conversation": conversation.id, "token": token, "action": action.id})
    return api_token, rows


def start_second_daphne(stack: LiveStack) -> tuple[subprocess.Popen, str, object]:
    port = free_port()
    log_path = stack.log_dir / "daphne-second.log"
    log = log_path.open("w")
    env = {**stack.env, "PARLEY_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=str(REPO),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"second Daphne exited:\n{tail(log_path)}")
        try:
            if httpx.get(base + "/admin/login/", timeout=2).status_code == 200:
                return process, base, log
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"second Daphne not ready:\n{tail(log_path)}")


async def run(stack: LiveStack, bases: list[str], api_token: str, rows: list[dict]) -> dict:
    from channels_redis.core import RedisChannelLayer

    from core.realtime import conversation_group

    latencies: dict[str, float] = {}  # action id -> seconds from commit to frame
    floor: dict[str, float] = {}
    floor_sent: dict[str, float] = {}
    connected = 0
    sockets = []

    async def client(row: dict, base: str, ready: asyncio.Event):
        nonlocal connected
        url = base.replace("http", "ws", 1) + f"/ws/chat/{row['conversation']}/?token={row['token']}"
        for attempt in range(5):
            try:
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
                if event.get("type") != "action.status":
                    continue
                if event["status"] == "floor":
                    floor[event["action_id"]] = now - floor_sent[event["action_id"]]
                elif event["status"] == "approved" and event["action_id"] not in latencies:
                    latencies[event["action_id"]] = now - event["committed_at"] / 1000
        except websockets.ConnectionClosed:
            pass

    ready = asyncio.Event()
    tasks = []
    for i, row in enumerate(rows):
        tasks.append(asyncio.create_task(client(row, bases[i % 2], ready)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # do not SYN-flood two single-threaded servers
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ready.wait(), 120)
    print(f"{connected}/{len(rows)} sockets connected across {len(bases)} Daphne processes")
    await asyncio.sleep(1.0)

    # 1. Floor: bare group_send through the same Redis, to the same consumers.
    layer = RedisChannelLayer(hosts=[stack.redis_url], prefix=stack.env["CHANNEL_LAYER_PREFIX"])
    start = time.perf_counter()
    for i in range(FLOOR_N):
        await asyncio.sleep(max(0.0, start + i / RATE - time.perf_counter()))
        row = rows[(i * 7) % len(rows)]
        key = f"floor-{i}"
        floor_sent[key] = time.time()
        await layer.group_send(
            conversation_group(row["conversation"]),
            {"type": "action.status", "action_id": key, "status": "floor", "enabled": False, "error": ""},
        )
    await asyncio.sleep(2.0)

    # 2. Decisions at a steady rate, open loop, from a process of their own (so the HTTP
    # client does not share this event loop with the sockets whose frames are timed).
    spawn = multiprocessing.get_context("spawn")  # a fork would inherit this running event loop
    results = spawn.Queue()
    sender = spawn.Process(
        target=send_decisions, args=(bases, api_token, [row["action"] for row in rows], RATE, results)
    )
    sender.start()
    while results.empty() and sender.is_alive():
        await asyncio.sleep(0.2)
    errors, sent_seconds = results.get(timeout=5) if not results.empty() else (["the sender process died"], 1.0)
    sender.join(5)
    deadline = time.monotonic() + 10
    while len(latencies) < len(rows) - len(errors) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    for socket in sockets:
        await socket.close()
    for task in tasks:
        task.cancel()
    return {
        "connected": connected,
        "latencies": list(latencies.values()),
        "floor": list(floor.values()),
        "errors": errors,
        "achieved_rate": len(rows) / sent_seconds,
    }


def send_decisions(bases: list[str], api_token: str, action_ids: list[str], rate: float, results) -> None:
    """In a child process: POST one decision per action at `rate` per second, alternating servers."""

    async def go():
        errors: list[str] = []
        http = [
            httpx.AsyncClient(base_url=b, headers={"Authorization": f"Token {api_token}"}, timeout=30) for b in bases
        ]

        async def decide(i: int, action_id: str):
            try:
                response = await http[i % 2].post(f"/api/actions/{action_id}/feedback", json={"decision": "approved"})
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")
            except httpx.HTTPError as exc:
                errors.append(repr(exc))

        start = time.perf_counter()
        posts = []
        for i, action_id in enumerate(action_ids):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            posts.append(asyncio.create_task(decide(i, action_id)))
        await asyncio.gather(*posts)
        sent_seconds = time.perf_counter() - start
        for client in http:
            await client.aclose()
        return errors, sent_seconds

    logging.getLogger("httpx").setLevel(logging.WARNING)
    results.put(asyncio.run(go()))


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("needs DATABASE_URL=postgres://… and REDIS_URL")
        return 1
    logging.getLogger("httpx").setLevel(logging.WARNING)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 8192))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    # Django's psycopg pool, as production should run under ASGI (each request runs in a
    # thread of its own: CONN_MAX_AGE connections pile up past PostgreSQL's max_connections at
    # 50 decisions/s, and no pool means a PostgreSQL connect per request).
    env = {
        "DATABASE_POOL": os.environ.get("DATABASE_POOL", "1"),
        "DATABASE_POOL_MAX": os.environ.get("DATABASE_POOL_MAX", "10"),
    }
    with LiveStack(database="postgres", redis=True, celery_worker=WITH_WORKER, extra_env=env) as stack:
        second, second_base, second_log = start_second_daphne(stack)
        try:
            django_on(stack)
            api_token, rows = make_data(N)
            result = asyncio.run(run(stack, [stack.base_url, second_base], api_token, rows))
        finally:
            second.terminate()
            try:
                second.wait(10)
            except subprocess.TimeoutExpired:
                second.kill()
            second_log.close()

    decisions = latency_figures(result["latencies"]) if result["latencies"] else {"n": 0}
    floor = latency_figures(result["floor"]) if result["floor"] else {"n": 0}
    lost = N - len(result["errors"]) - len(result["latencies"])
    figures = {
        "decision commit → action.status": {**decisions, "lost": lost, "http_errors": len(result["errors"])},
        "bare group_send round trip (floor)": {**floor, "lost": FLOOR_N - len(result["floor"])},
    }
    figures_print(figures)
    print(f"sockets connected {result['connected']}/{N}; decisions sent at {result['achieved_rate']:.1f}/s")
    if result["errors"]:
        print("first errors:", result["errors"][:3])
    write_result(
        "action_status",
        figures,
        environment(db="postgresql", channel_layer="redis", daphne_processes=2, celery_worker=WITH_WORKER),
        method={
            "clients": N,
            "decisions": N,
            "rate_per_s": RATE,
            "floor_sends": FLOOR_N,
            "client": "one asyncio process, websockets + httpx, same machine",
            "target": "p99 ≤ 50 ms, none lost",
        },
    )
    ok = lost == 0 and not result["errors"] and decisions.get("p99_ms", 1e9) <= 50
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
