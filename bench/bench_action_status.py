"""Operator decision → `action.status` at the customer's socket, across two Daphne processes.

Topology: PostgreSQL + Redis (channel layer and broker), two Daphne processes on the same
database and Redis. By default no Celery worker runs on this 2-core machine: the decisions'
reply deliveries wait in the broker, so the figure is the push path itself (in production the
workers run on their own cores). BENCH_WORKER=1 adds one worker delivering the replies while
the decisions come in: the same push path, sharing the two cores with it. N customers (default
1,000), each in a conversation of its own with pending `policy_exception` actions, hold a
WebSocket each, half on each Daphne (asyncio + `websockets`, one process). Then:

1. Floor: FLOOR_N bare `group_send`s (channels_redis, from this process) of an
   `action.status` event to a customer's conversation group, at RATE/s, stamped at send time:
   Redis → Daphne → socket, no Django view, no database.
2. Decisions: N `POST /api/actions/{id}/feedback` (operator token), alternating between the
   two Daphnes, at a steady RATE/s (open loop: each is sent at its scheduled time whatever the
   previous one did, from a process of its own). Latency = the frame's arrival at the client
   minus `committed_at`, the epoch-ms the server stamps in the on-commit callback that pushes
   the event. A decision whose `approved` frame has not arrived 10 s after the last one is
   counted lost. CPU per decision: both Daphnes' CPU time over the step / decisions.
3. Sweep: SWEEP_N decisions at each rate of BENCH_SWEEP (20, 50, 100, 200/s) on the same
   sockets; the capacity is the highest rate whose p99 stays ≤ 50 ms, with the CPU per
   decision at each rate.
4. Idle sockets: more customers connect to the second Daphne until the box holds
   BENCH_IDLE_SOCKETS (5,000) sockets; its memory per socket, then its CPU over IDLE_SECONDS
   while every socket pings every 25 s as the chat client does (plus Daphne's own WebSocket
   pings): the heartbeat cost. Then N decisions at RATE/s spread over all the conversations:
   target p99 ≤ 100 ms with 5,000 sockets connected. BENCH_IDLE_SOCKETS=0 skips it.

Beside each timed step: the full (and longest young) garbage collections in it, of both Daphnes
(from their logs: they log every collection of 1 ms or more here) and of this client, which holds
the sockets and tunes its collector as the servers do once they are open; a full collection
stops a whole process, and the client's count in every latency, the floor's as much.

Targets: at 1,000 sockets and 50/s p99 ≤ 50 ms, none lost; at 5,000 sockets p99 ≤ 100 ms.
Needs DATABASE_URL (postgres://) and REDIS_URL. The load average is printed: on a shared
machine, read every figure beside the same-run floor.
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
from common import (
    GC_LOG_ENV,
    REPO,
    ClientCollections,
    client_gc_tune,
    collections_figures,
    environment,
    figures_print,
    latency_figures,
    load_average,
    process_cpu_seconds,
    process_rss_kb,
    server_collections,
    write_result,
)

from core.testing.live import LiveStack, free_port, tail

N = int(os.environ.get("BENCH_N", "1000"))
RATE = float(os.environ.get("BENCH_RATE", "50"))
FLOOR_N = int(os.environ.get("BENCH_FLOOR_N", "500"))
WITH_WORKER = os.environ.get("BENCH_WORKER", "0") == "1"
SWEEP = [float(r) for r in os.environ.get("BENCH_SWEEP", "20,50,100,200").split(",") if r.strip()]
SWEEP_N = int(os.environ.get("BENCH_SWEEP_N", "500"))
IDLE_SOCKETS = int(os.environ.get("BENCH_IDLE_SOCKETS", "5000"))
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "30"))
HANDSHAKES = int(os.environ.get("BENCH_HANDSHAKES", "50"))  # sockets opening at once
PING_SECONDS = 25.0  # the chat client's `ping` interval (static/parley/chat-core.js)
TARGET_MS = 50.0
IDLE_TARGET_MS = 100.0
CLIENT_GCS = ClientCollections()  # this process's own collections, recorded while run() runs


def django_on(stack: LiveStack) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DATABASE_URL"] = stack.database_url
    for key in ("REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(key, None)  # this process only writes rows
    import django

    django.setup()


def operator_token() -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    operator = get_user_model().objects.create_user(username="bench-operator", password="x" * 12, is_staff=True)
    return Token.objects.create(user=operator).key


def make_data(n: int, per_conversation: int) -> list[dict]:
    """n conversations with `per_conversation` pending actions each."""
    from django.db import transaction

    from actions.models import Action
    from conversations.models import Conversation, Customer
    from core.ids import new_token, token_hash

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
                for _ in range(per_conversation)
            ]
        )
    return [
        {
            "conversation": c.id,
            "token": t,
            "actions": [a.id for a in actions[i * per_conversation : (i + 1) * per_conversation]],
        }
        for i, (c, t) in enumerate(zip(conversations, tokens, strict=True))
    ]


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


class Clients:
    """The customers' sockets (one asyncio process): `action.status` frames timed on arrival."""

    def __init__(self) -> None:
        self.latencies: dict[str, float] = {}  # action id -> seconds from commit to frame
        self.floor: dict[str, float] = {}
        self.floor_sent: dict[str, float] = {}
        self.sockets = []
        self.tasks = []
        self.handshakes = asyncio.Semaphore(HANDSHAKES)
        self.pinging = False

    async def _client(self, row: dict, base: str, connected: asyncio.Queue) -> None:
        url = base.replace("http", "ws", 1) + f"/ws/chat/{row['conversation']}/?token={row['token']}"
        for attempt in range(5):
            try:
                async with self.handshakes:  # a bounded number at once: each handshake reads the database
                    socket = await websockets.connect(url, origin=base, open_timeout=30, ping_interval=None)
                break
            except (OSError, websockets.WebSocketException, TimeoutError):
                await asyncio.sleep(0.5 * (attempt + 1))
        else:
            connected.put_nowait(False)
            return
        self.sockets.append(socket)
        connected.put_nowait(True)
        pinger = asyncio.create_task(self._ping(socket))
        try:
            async for raw in socket:
                now = time.time()
                event = json.loads(raw)
                if event.get("type") != "action.status":
                    continue
                if event["status"] == "floor":
                    self.floor[event["action_id"]] = now - self.floor_sent[event["action_id"]]
                elif event["status"] == "approved" and event["action_id"] not in self.latencies:
                    self.latencies[event["action_id"]] = now - event["committed_at"] / 1000
        except websockets.ConnectionClosed:
            pass
        finally:
            pinger.cancel()

    async def _ping(self, socket) -> None:
        """The chat client's heartbeat, once `pinging` is on (spread over the interval)."""
        await asyncio.sleep(PING_SECONDS * (hash(id(socket)) % 1000) / 1000)
        while True:
            if self.pinging:
                with contextlib.suppress(websockets.ConnectionClosed):
                    await socket.send('{"type": "ping"}')
            await asyncio.sleep(PING_SECONDS)

    async def connect(self, rows: list[dict], bases: list[str]) -> int:
        connected: asyncio.Queue = asyncio.Queue()
        for i, row in enumerate(rows):
            self.tasks.append(asyncio.create_task(self._client(row, bases[i % len(bases)], connected)))
        ok = 0
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(60 + len(rows) / 20):
                for _ in rows:
                    ok += await connected.get()
        return ok

    async def close(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(15):
                await asyncio.gather(*(socket.close() for socket in self.sockets), return_exceptions=True)
        for task in self.tasks:
            task.cancel()


def server_logs(stack: LiveStack) -> list:
    return [stack.server.log_path, stack.log_dir / "daphne-second.log"]


def collections_in(stack: LiveStack, since: float, until: float) -> dict:
    """The servers' and this client's garbage collections in a timed window."""
    return {
        **collections_figures(server_collections(server_logs(stack), since, until), "daphnes"),
        **collections_figures(CLIENT_GCS.between(since, until), "client"),
    }


async def decisions(
    stack: LiveStack, bases: list[str], api_token: str, action_ids: list[str], rate: float, clients: Clients, pids
):
    """POST one decision per action at `rate` (from a process of its own, so the HTTP client does
    not share this event loop with the sockets whose frames are timed); wait for the frames."""
    spawn = multiprocessing.get_context("spawn")  # a fork would inherit this running event loop
    results = spawn.Queue()
    sender = spawn.Process(target=send_decisions, args=(bases, api_token, action_ids, rate, results))
    cpu_before = sum(process_cpu_seconds(pid) for pid in pids)
    began = time.time()
    sender.start()
    while results.empty() and sender.is_alive():
        await asyncio.sleep(0.2)
    errors, sent_seconds = results.get(timeout=5) if not results.empty() else (["the sender process died"], 1.0)
    sender.join(5)
    wanted = set(action_ids)
    deadline = time.monotonic() + 10
    while len(wanted & clients.latencies.keys()) < len(action_ids) - len(errors) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    cpu = sum(process_cpu_seconds(pid) for pid in pids) - cpu_before
    got = [clients.latencies[a] for a in action_ids if a in clients.latencies]
    figures = latency_figures(got) if got else {"n": 0}
    return {
        **figures,
        "lost": len(action_ids) - len(errors) - len(got),
        "http_errors": len(errors),
        "achieved_rate": len(action_ids) / sent_seconds,
        "daphne_cpu_ms_per_decision": cpu * 1000 / len(action_ids),
        "load_1m": load_average()[0],
        **collections_in(stack, began, time.time()),
    }, errors


async def run(stack: LiveStack, pids: list[int], bases: list[str], api_token: str, rows: list[dict]) -> dict:
    from channels_redis.core import RedisChannelLayer

    from core.realtime import conversation_group

    clients = Clients()
    connected = await clients.connect(rows, bases)
    print(f"{connected}/{len(rows)} sockets connected across {len(bases)} Daphne processes", flush=True)
    client_gc_tune()
    await asyncio.sleep(1.0)
    out: dict = {"connected": connected, "errors": []}

    # 1. Floor: bare group_send through the same Redis, to the same consumers.
    layer = RedisChannelLayer(hosts=[stack.redis_url], prefix=stack.env["CHANNEL_LAYER_PREFIX"], capacity=5000)
    floor_began = time.time()
    start = time.perf_counter()
    for i in range(FLOOR_N):
        await asyncio.sleep(max(0.0, start + i / RATE - time.perf_counter()))
        row = rows[(i * 7) % len(rows)]
        key = f"floor-{i}"
        clients.floor_sent[key] = time.time()
        await layer.group_send(
            conversation_group(row["conversation"]),
            {"type": "action.status", "action_id": key, "status": "floor", "enabled": False, "error": ""},
        )
    await asyncio.sleep(2.0)
    out["floor"] = latency_figures(list(clients.floor.values())) if clients.floor else {"n": 0}
    out["floor"]["lost"] = FLOOR_N - len(clients.floor)
    out["floor"].update(collections_in(stack, floor_began, time.time()))

    # 2. The headline: N decisions at RATE.
    out["main"], errors = await decisions(
        stack, bases, api_token, [row["actions"][0] for row in rows], RATE, clients, pids
    )
    out["errors"] += errors
    print(f"decisions at {RATE:g}/s: p99 {out['main'].get('p99_ms', float('nan')):.1f} ms", flush=True)

    # 3. The sweep, each rate on actions of its own.
    out["sweep"] = {}
    for step, rate in enumerate(SWEEP, start=1):
        await asyncio.sleep(2.0)
        ids = [rows[i]["actions"][step] for i in range(min(SWEEP_N, len(rows)))]
        out["sweep"][rate], errors = await decisions(stack, bases, api_token, ids, rate, clients, pids)
        out["errors"] += errors
        print(f"sweep {rate:g}/s: p99 {out['sweep'][rate].get('p99_ms', float('nan')):.1f} ms", flush=True)

    # 4. Idle sockets up to IDLE_SOCKETS on the box, the extra ones all on the second Daphne.
    if len(rows) < IDLE_SOCKETS:
        extra = await asyncio.to_thread(make_data, IDLE_SOCKETS - len(rows), 1)
        rss_before = process_rss_kb(pids[1])
        held_before = len(clients.sockets)
        more = await clients.connect(extra, bases[1:])
        client_gc_tune()
        await asyncio.sleep(2.0)
        rss_after = process_rss_kb(pids[1])
        on_second = more + (connected - connected // 2)
        print(f"{more}/{len(extra)} more sockets connected to the second Daphne ({on_second} on it)", flush=True)
        clients.pinging = True
        cpu_before = process_cpu_seconds(pids[1])
        await asyncio.sleep(IDLE_SECONDS)
        idle_cpu = process_cpu_seconds(pids[1]) - cpu_before
        out["idle"] = {
            "sockets_on_box": len(clients.sockets),
            "sockets_on_one_daphne": on_second,
            "daphne_rss_mb": round(rss_after / 1024, 1),
            "kb_per_socket": (rss_after - rss_before) / max(1, len(clients.sockets) - held_before),
            "heartbeat_cpu_pct_of_a_core": 100 * idle_cpu / IDLE_SECONDS,
            "heartbeat_cpu_pct_per_1000_sockets": 100 * idle_cpu / IDLE_SECONDS / (on_second / 1000),
            "idle_seconds": IDLE_SECONDS,
        }
        everyone = rows + extra
        ids = [everyone[(i * 5) % len(everyone)]["actions"][-1] for i in range(min(N, len(everyone)))]
        out["loaded"], errors = await decisions(stack, bases, api_token, list(dict.fromkeys(ids)), RATE, clients, pids)
        out["errors"] += errors
    await clients.close()
    return out


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


def summary(result: dict) -> dict:
    figures = {
        f"decision commit → action.status ({N} sockets, {RATE:g}/s)": result["main"],
        "bare group_send round trip (floor)": result["floor"],
    }
    within = [rate for rate, f in result["sweep"].items() if f.get("p99_ms", 1e9) <= TARGET_MS and not f["lost"]]
    crossed = [rate for rate, f in result["sweep"].items() if rate not in within]
    for rate, values in result["sweep"].items():
        figures[f"sweep {rate:g}/s"] = values
    if result["sweep"]:
        figures["capacity (p99 ≤ 50 ms)"] = {
            "highest_rate_within": max(within) if within else 0,
            "first_rate_over": min(crossed) if crossed else None,
            "daphne_cpu_ms_per_decision": result["main"]["daphne_cpu_ms_per_decision"],
            "decisions_per_s_per_core_by_cpu": 1000 / max(0.001, result["main"]["daphne_cpu_ms_per_decision"]),
        }
    if "idle" in result:
        figures["idle sockets"] = result["idle"]
        figures[f"decision commit → action.status ({result['idle']['sockets_on_box']} sockets, {RATE:g}/s)"] = result[
            "loaded"
        ]
    return figures


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("needs DATABASE_URL=postgres://… and REDIS_URL")
        return 1
    logging.getLogger("httpx").setLevel(logging.WARNING)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * max(N, IDLE_SOCKETS) + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    load_before = load_average()
    # Django's psycopg pool, as production should run under ASGI (each request runs in a
    # thread of its own: CONN_MAX_AGE connections pile up past PostgreSQL's max_connections at
    # 50 decisions/s, and no pool means a PostgreSQL connect per request).
    env = {
        "DATABASE_POOL": os.environ.get("DATABASE_POOL", "1"),
        "DATABASE_POOL_MAX": os.environ.get("DATABASE_POOL_MAX", "10"),
        **GC_LOG_ENV,
    }
    with LiveStack(database="postgres", redis=True, celery_worker=WITH_WORKER, extra_env=env) as stack:
        second, second_base, second_log = start_second_daphne(stack)
        try:
            django_on(stack)
            api_token = operator_token()
            rows = make_data(N, 2 + len(SWEEP))  # the headline, each sweep step, the idle-phase decisions
            pids = [stack.server.pid, second.pid]
            with CLIENT_GCS:
                result = asyncio.run(run(stack, pids, [stack.base_url, second_base], api_token, rows))
        finally:
            second.terminate()
            try:
                second.wait(10)
            except subprocess.TimeoutExpired:
                second.kill()
            second_log.close()

    figures = summary(result)
    figures_print(figures)
    main_figures = result["main"]
    print(f"sockets connected {result['connected']}/{N}; load average before {load_before}, after {load_average()}")
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
            "sweep_rates": SWEEP,
            "sweep_decisions": SWEEP_N,
            "idle_sockets": IDLE_SOCKETS,
            "load_average_before": load_before,
            "client": "one asyncio process for the sockets, one for the POSTs, same machine",
            "target": "p99 ≤ 50 ms at 1,000 sockets and 50/s, none lost; p99 ≤ 100 ms at 5,000 sockets",
        },
    )
    ok = main_figures["lost"] == 0 and not result["errors"] and main_figures.get("p99_ms", 1e9) <= TARGET_MS
    if "loaded" in result:
        ok = ok and result["loaded"]["lost"] == 0 and result["loaded"].get("p99_ms", 1e9) <= IDLE_TARGET_MS
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
