"""Search latency on a 100,000-part generated catalogue (plus the demo shop), in-process and over HTTP.

Figures (sequential, one client):
- "search, lexical only": `product_search(semantic=False)` p50/p95 over BENCH_QUERIES
  distinct queries. Target p95 <= 5 ms.
- "search, semantic on": `product_search()` with vectors built for every part; the query
  embedding is computed on every call (the query-vector cache is cleared before each).
  Target p95 <= 20 ms.
- "floor: numpy dot 100k x 384": the bare matrix-vector product and top-k over the whole
  matrix, the exact search (semantic search scores the rows of the query's nearest groups
  only, catalog/search/clusters.py).
- "floor: query embedding": the local model embedding one query.
- "HTTP GET /api/catalog/search" vs "HTTP floor GET /admin/login/" on Daphne over the same
  database (semantic on).
"""

import os
import random
import sys
import time

import httpx
from common import environment, latency_figures, timed, write_result

from core.testing.live import LiveStack

PARTS = int(os.environ.get("BENCH_PARTS", "100000"))
N = int(os.environ.get("BENCH_QUERIES", "300"))

WORDS = [
    "water filter",
    "door gasket",
    "drain pump",
    "ice maker",
    "rack wheel",
    "spray arm",
    "door latch",
    "heating element",
    "silverware basket",
    "crisper drawer",
    "fan motor",
    "control board",
    "door handle",
    "inlet valve",
    "defrost thermostat",
    "upper rack adjuster",
    "door shelf bin",
    "filter assembly",
]
BRANDS = ["whirlpool", "ge", "samsung", "lg", "bosch", "kitchenaid", "maytag", "kenmore", "frigidaire", ""]
TYPES = ["fridge", "refrigerator", "dishwasher", "dishwaser", ""]
NATURAL = [
    "my fridge makes no ice",
    "dishes come out dirty",
    "water under the dishwasher",
    "freezer is frosting up",
    "the door will not stay shut",
    "noisy fan in the back of the fridge",
    "rack falls off the rail",
]


def queries(n: int) -> list[str]:
    rnd = random.Random(7)
    out = set()
    while len(out) < n:
        if rnd.random() < 0.25:
            q = f"{rnd.choice(NATURAL)} {rnd.choice(BRANDS)}".strip()
        else:
            q = " ".join(x for x in (rnd.choice(BRANDS), rnd.choice(TYPES), rnd.choice(WORDS)) if x)
        if rnd.random() < 0.15:
            q = q.replace("a", "", 1)  # a typo
        out.add(q + ("" if rnd.random() < 0.5 else f" {rnd.randint(1, 99)}"))
    return sorted(out)


def main() -> int:
    env = {"PARLEY_EMBEDDINGS": "local"}
    with LiveStack(database="sqlite", extra_env=env) as stack:
        if PARTS:
            stack.run_manage("generate_catalog", "--parts", str(PARTS), "--models", "2000", timeout=900)
        print(stack.run_manage("build_embeddings", "--no-progress", "--batch-size", "512", timeout=1800).strip())
        os.environ.update(
            {"DATABASE_URL": stack.database_url, "DJANGO_SETTINGS_MODULE": "config.settings.local", **env}
        )
        import django
        import numpy as np

        django.setup()
        from catalog.models import Product
        from catalog.search import embeddings, lexical, semantic
        from catalog.selectors import product_search

        total = Product.objects.count()
        qs = queries(N)
        t0 = time.perf_counter()
        product_search(query="warm up the index", limit=10)
        print(f"indexes built in {time.perf_counter() - t0:.1f}s for {total} parts")
        for q in qs[:20]:
            product_search(query=q, limit=10)

        figures = {}
        figures["search, lexical only"] = latency_figures(
            timed(lambda q: product_search(query=q, limit=10, semantic=False), qs)
        )

        def semantic_call(q):
            embeddings.query_vector.cache_clear()
            return product_search(query=q, limit=10)

        figures["search, semantic on"] = latency_figures(timed(semantic_call, qs))
        matrix = semantic.cache.get(embeddings.embedder_name_configured()).matrix
        vector = matrix[0].copy()

        def dot(_):
            scores = matrix @ vector
            top = np.argpartition(-scores, 50)[:50]
            return top[np.argsort(-scores[top])]

        figures["floor: numpy dot 100k x 384"] = latency_figures(timed(dot, qs))
        embedder = embeddings.embedder_get()
        figures["floor: query embedding"] = latency_figures(timed(lambda q: embedder.embed([q]), qs))
        for name, stats in figures.items():
            print(f"{name}: p50={stats['p50_ms']:.2f}ms p95={stats['p95_ms']:.2f}ms")

        with httpx.Client(base_url=stack.base_url, timeout=30) as client:
            client.get("/api/catalog/search", params={"q": "warm up"})
            for q in qs[:20]:
                client.get("/api/catalog/search", params={"q": q})

            def get(q):
                response = client.get("/api/catalog/search", params={"q": q, "limit": 10})
                assert response.status_code == 200, response.text

            figures["HTTP GET /api/catalog/search"] = latency_figures(timed(get, [q + " x" for q in qs]))
            figures["HTTP floor GET /admin/login/"] = latency_figures(timed(lambda _: client.get("/admin/login/"), qs))
        for name in ("HTTP GET /api/catalog/search", "HTTP floor GET /admin/login/"):
            print(f"{name}: p50={figures[name]['p50_ms']:.2f}ms p95={figures[name]['p95_ms']:.2f}ms")
        figures["search, lexical only"]["target_p95_ms"] = 5
        figures["search, semantic on"]["target_p95_ms"] = 20
        write_result(
            "search",
            figures,
            environment(db="sqlite", parts=total, embedder=embedder.name, lexical="in-process BM25"),
            method={"queries": len(qs), "concurrency": 1, "limit": 10, "query_vector_cache": "cleared per call"},
        )
        del lexical
    return 0


if __name__ == "__main__":
    sys.exit(main())
