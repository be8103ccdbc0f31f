"""Offline assistant reply time on a 100,000-part generated catalogue (plus the demo shop).

Daphne on SQLite (LiveStack), the rules engine, sequential POSTs of varied customer messages
(compatibility, install, price, troubleshooting, search, follow-ups, refusals from the
evaluation set) to `POST /api/chat/conversations/{id}/messages`, each in a fresh
conversation every 8 messages. The figure is the client's round trip, an upper bound on the
server time (which also stores both messages, records events and renders actions).

The floor is a bare view on the same server, over the same connection: `GET /admin/login/`,
one per message, interleaved with them (in a seeded random order within each pair), so
the floor and the reply are measured under the same conditions: on a shared machine whose
load comes and goes, a floor measured before or after the replies is not the same machine.
The target is a ratio, reply p95 ≤ `TARGET_RATIO` × floor p95: reported over the whole run and
as the median over `BENCH_ROUNDS` (5) consecutive rounds of the run, each round's ratio from
its own replies and floors. Beside them, the server's CPU per reply and per floor (Daphne's user
and system time across each request, summed per kind): what a reply costs, which a busy machine
stretches far less than it stretches the milliseconds.
Rate limits are switched off for the run (one bench client sends hundreds of messages).
"""

import json
import os
import random
import statistics
import sys
import time

import httpx
from common import REPO, environment, latency_figures, percentile, process_cpu_seconds, write_result

from core.testing.live import LiveStack

PARTS = int(os.environ.get("BENCH_PARTS", "100000"))
N = int(os.environ.get("BENCH_N", "400"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
TARGET_RATIO = 4.0


def messages() -> list[str]:
    """The evaluation's development messages (never the held-out set), dialogues turn by turn."""
    texts = []
    for name in ("dev.jsonl", "dialogues_dev.jsonl"):
        lines = (REPO / "conversations" / "assistant" / "eval" / name).read_text().splitlines()
        texts += [turn["say"] for line in lines if line.strip() for turn in json.loads(line)["turns"]]
    random.Random(0).shuffle(texts)  # every category within the first N, the same order every run
    return texts


def p95(seconds: list[float]) -> float:
    return percentile(sorted(seconds), 95)


def main() -> int:
    env = {
        "PARLEY_EMBEDDINGS": "off",
        "PARLEY_RATE_LIMIT_PER_MINUTE": "0",
        "PARLEY_RATE_LIMIT_PER_HOUR": "0",
        "PARLEY_CONVERSATIONS_RATE_PER_ADDRESS": "0/m",
    }
    texts = messages()
    with (
        LiveStack(database="sqlite", extra_env=env) as stack,
        httpx.Client(base_url=stack.base_url, timeout=300) as client,  # the first reply builds the index
    ):
        if PARTS:
            stack.run_manage("generate_catalog", "--parts", str(PARTS), "--models", "2000", timeout=900)
        conv = None
        order = random.Random(1)
        replies: list[float] = []
        floors: list[float] = []
        server_cpu = {"reply": 0.0, "floor": 0.0}  # seconds, over the measured requests

        def cpu_now() -> float:
            return process_cpu_seconds(stack.server.pid)

        def reply(i: int) -> None:
            nonlocal conv
            if i % 8 == 0:
                conv = client.post("/api/chat/conversations", json={}).json()
            text = texts[i % len(texts)]
            cpu0, t0 = cpu_now(), time.perf_counter()
            response = client.post(
                f"/api/chat/conversations/{conv['id']}/messages",
                json={"content": text},
                headers={"Authorization": f"Bearer {conv['token']}"},
            )
            elapsed, cpu = time.perf_counter() - t0, cpu_now() - cpu0
            if response.status_code != 201:
                raise SystemExit(f"{text!r} answered {response.status_code}: {response.text[:300]}")
            if i >= 30:  # the first ones build the search index
                replies.append(elapsed)
                server_cpu["reply"] += cpu

        def floor(i: int) -> None:
            cpu0, t0 = cpu_now(), time.perf_counter()
            response = client.get("/admin/login/")
            elapsed, cpu = time.perf_counter() - t0, cpu_now() - cpu0
            if response.status_code != 200:
                raise SystemExit(f"the floor answered {response.status_code}")
            if i >= 30:
                floors.append(elapsed)
                server_cpu["floor"] += cpu

        for i in range(N + 30):
            pair = [reply, floor]
            order.shuffle(pair)
            for call in pair:
                call(i)
        size = max(1, N // ROUNDS)
        rounds = [
            p95(replies[k : k + size]) / p95(floors[k : k + size]) for k in range(0, size * ROUNDS, size) if k < N
        ]
        figures = {
            "POST message, offline reply": {**latency_figures(replies), "target_p95_ms": 30},
            "floor: GET /admin/login/ (interleaved)": latency_figures(floors),
            "server CPU per request (ms)": {
                "reply": server_cpu["reply"] / len(replies) * 1000,
                "floor": server_cpu["floor"] / len(floors) * 1000,
            },
            "reply p95 / floor p95": {
                "run": p95(replies) / p95(floors),
                "median_of_rounds": statistics.median(rounds),
                "worst_round": max(rounds),
                "rounds": len(rounds),
                "target": TARGET_RATIO,
            },
        }
    for name, stats in list(figures.items())[:2]:
        print(f"{name}: p50={stats['p50_ms']:.2f}ms p95={stats['p95_ms']:.2f}ms p99={stats['p99_ms']:.2f}ms")
    cpu = figures["server CPU per request (ms)"]
    print(f"server CPU per request: reply {cpu['reply']:.2f} ms, floor {cpu['floor']:.2f} ms")
    ratio = figures["reply p95 / floor p95"]
    print(
        f"reply p95 / floor p95: run {ratio['run']:.2f}x, median of {len(rounds)} rounds {ratio['median_of_rounds']:.2f}x "
        f"(rounds: {', '.join(f'{r:.2f}' for r in rounds)}), target <= {TARGET_RATIO:g}x; load average "
        + " ".join(f"{v:.2f}" for v in os.getloadavg())
    )
    write_result(
        "assistant",
        figures,
        environment(db="sqlite", parts=PARTS, engine="rules", embeddings="off"),
        method={
            "requests": N,
            "warmup": 30,
            "concurrency": 1,
            "messages": len(texts),
            "new_conversation_every": 8,
            "floor": "one GET /admin/login/ per message, interleaved (seeded-random order in each pair), same connection",
            "rounds": ROUNDS,
        },
        round_ratios=rounds,
        load_average=os.getloadavg(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
