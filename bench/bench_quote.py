"""POST /api/checkout/quote through Daphne (SQLite, demo price book): p95 target ≤ 5 ms.

N sequential quotes over one keep-alive connection, cycling through every valid plan of the
demo book (email ×3, chat ×3, bundle ×3, each with the price the customer saw), after a
warm-up; floor: GET /admin/login/ on the same server in the same run. BENCH_N changes N.
"""

import logging
import os
import sys
import time

import httpx
from common import environment, latency_figures, write_result

from core.testing.live import LiveStack

N = int(os.environ.get("BENCH_N", "1000"))
WARMUP = 30
PLANS = [
    {"product_type": "email", "email_plan": "starter", "calculated_monthly_price": "49.00"},
    {"product_type": "email", "email_plan": "standard", "calculated_monthly_price": "99.00"},
    {"product_type": "email", "email_plan": "premium", "calculated_monthly_price": "199.00"},
    {"product_type": "chat", "chat_plan": "starter", "calculated_monthly_price": "39.00"},
    {"product_type": "chat", "chat_plan": "growth", "calculated_monthly_price": "59.00"},
    {"product_type": "chat", "chat_plan": "pro", "calculated_monthly_price": "99.00"},
    {"product_type": "bundle", "email_plan": "starter", "chat_addon": True, "calculated_monthly_price": "74.00"},
    {"product_type": "bundle", "email_plan": "standard", "chat_addon": True, "calculated_monthly_price": "134.00"},
    {"product_type": "bundle", "email_plan": "premium", "chat_addon": True, "calculated_monthly_price": "244.00"},
]


def timed(call, n: int) -> list[float]:
    timings = []
    for i in range(n):
        start = time.perf_counter()
        response = call(i)
        timings.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"answered {response.status_code}: {response.text[:200]}")
    return timings


def main() -> int:
    import daphne

    logging.getLogger("httpx").setLevel(logging.WARNING)
    with LiveStack(database="sqlite") as stack, httpx.Client(base_url=stack.base_url, timeout=10) as client:

        def quote(i):
            return client.post("/api/checkout/quote", json=PLANS[i % len(PLANS)])

        def floor(_):
            return client.get("/admin/login/")

        timed(quote, WARMUP)
        timed(floor, WARMUP)
        floor_stats = latency_figures(timed(floor, N))
        quote_stats = latency_figures(timed(quote, N))
    print(
        f"POST /api/checkout/quote: p50={quote_stats['p50_ms']:.2f} p95={quote_stats['p95_ms']:.2f} "
        f"p99={quote_stats['p99_ms']:.2f} ms (target p95 <= 5 ms); floor GET /admin/login/: "
        f"p50={floor_stats['p50_ms']:.2f} p95={floor_stats['p95_ms']:.2f} ms"
    )
    write_result(
        "quote",
        {"POST /api/checkout/quote": {**quote_stats, "target_p95_ms": 5}, "floor GET /admin/login/": floor_stats},
        environment(db="sqlite", server=f"daphne {daphne.__version__}", client="httpx"),
        method={"requests": N, "warmup": WARMUP, "concurrency": 1, "connection": "keep-alive", "plans": len(PLANS)},
    )
    return 0 if quote_stats["p95_ms"] <= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
