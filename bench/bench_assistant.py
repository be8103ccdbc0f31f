"""Offline assistant reply time on a 100,000-part generated catalogue (plus the demo shop).

Daphne on SQLite (LiveStack), the rules engine, sequential POSTs of varied customer messages
(compatibility, install, price, troubleshooting, search, follow-ups, refusals from the
evaluation set) to `POST /api/chat/conversations/{id}/messages`, each in a fresh
conversation every 8 messages. The figure is the client's round trip, an upper bound on the
server time (which also stores both messages, records events and renders actions). The
floor is a bare view on the same server in the same run: `GET /admin/login/`.
Rate limits are switched off for the run (one bench client sends hundreds of messages).
"""

import json
import os
import random
import sys
import time

import httpx
from common import REPO, environment, latency_figures, write_result

from core.testing.live import LiveStack

PARTS = int(os.environ.get("BENCH_PARTS", "100000"))
N = int(os.environ.get("BENCH_N", "400"))


def messages() -> list[str]:
    """The evaluation's development messages (never the held-out set), dialogues turn by turn."""
    texts = []
    for name in ("dev.jsonl", "dialogues_dev.jsonl"):
        lines = (REPO / "conversations" / "assistant" / "eval" / name).read_text().splitlines()
        texts += [turn["say"] for line in lines if line.strip() for turn in json.loads(line)["turns"]]
    random.Random(0).shuffle(texts)  # every category within the first N, the same order every run
    return texts


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
        httpx.Client(base_url=stack.base_url, timeout=60) as client,
    ):
        if PARTS:
            stack.run_manage("generate_catalog", "--parts", str(PARTS), "--models", "2000", timeout=900)
        conv = None
        reply_times = []
        engines = set()
        for i in range(N + 30):
            if i % 8 == 0:
                conv = client.post("/api/chat/conversations", json={}).json()
            text = texts[i % len(texts)]
            t0 = time.perf_counter()
            response = client.post(
                f"/api/chat/conversations/{conv['id']}/messages",
                json={"content": text},
                headers={"Authorization": f"Bearer {conv['token']}"},
            )
            elapsed = time.perf_counter() - t0
            if response.status_code != 201:
                raise SystemExit(f"{text!r} answered {response.status_code}: {response.text[:300]}")
            if i >= 30:  # the first ones build the search index
                reply_times.append(elapsed)
        floor = []
        for _ in range(N):
            t0 = time.perf_counter()
            client.get("/admin/login/")
            floor.append(time.perf_counter() - t0)
        figures = {
            "POST message, offline reply": {**latency_figures(reply_times), "target_p95_ms": 30},
            "floor: GET /admin/login/": latency_figures(floor),
        }
        del engines
    for name, stats in figures.items():
        print(f"{name}: p50={stats['p50_ms']:.2f}ms p95={stats['p95_ms']:.2f}ms p99={stats['p99_ms']:.2f}ms")
    write_result(
        "assistant",
        figures,
        environment(db="sqlite", parts=PARTS, engine="rules", embeddings="off"),
        method={"requests": N, "warmup": 30, "concurrency": 1, "messages": len(texts), "new_conversation_every": 8},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
