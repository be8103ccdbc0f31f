"""The HTTP floor: how fast Daphne answers the cheapest requests, one client, no concurrency.

Starts a live stack (Daphne on SQLite with the demo shop) through core.testing.live and
times N sequential GETs over one keep-alive connection with httpx, after a warm-up. The
product detail is the cheapest API read; the admin login page is a template render with
no query. Every later latency figure should be read against these.
"""

import os
import sys
import time

import httpx
from common import environment, latency_figures, write_result  # bench/common.py; puts the repo on sys.path

from core.testing.live import LiveStack

N = int(os.environ.get("BENCH_N", "500"))
WARMUP = 20
CANDIDATES = ["/api/catalog/products/PS11750057", "/admin/login/"]


def measure(client: httpx.Client, url: str) -> list[float]:
    for _ in range(WARMUP):
        client.get(url)
    timings = []
    for _ in range(N):
        start = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code} during the run")
    return timings


def main() -> int:
    import daphne

    figures = {}
    with LiveStack(database="sqlite") as stack, httpx.Client(base_url=stack.base_url, timeout=10) as client:
        for path in CANDIDATES:
            status = client.get(path).status_code
            if status != 200:
                print(f"skipping GET {path}: it answers {status}")
                continue
            stats = latency_figures(measure(client, path))
            figures[f"GET {path}"] = stats
            print(
                f"GET {path}: n={stats['n']} p50={stats['p50_ms']:.2f}ms p95={stats['p95_ms']:.2f}ms "
                f"p99={stats['p99_ms']:.2f}ms ({stats['req_per_s']:.0f} req/s)"
            )
    if not figures:
        print("no endpoint answered 200")
        return 1
    write_result(
        "http_floor",
        figures,
        environment(db="sqlite", server=f"daphne {daphne.__version__}", channel_layer="in-memory", client="httpx"),
        method={"requests": N, "warmup": WARMUP, "concurrency": 1, "connection": "keep-alive"},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
