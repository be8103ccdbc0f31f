"""How search, the assistant's reply, embeddings, import and index memory grow with the catalogue.

For each size in BENCH_SIZES (10,000 and 100,000 generated parts; `BENCH_1M=1` adds 1,000,000,
PostgreSQL only), a fresh database of its own (PostgreSQL when DATABASE_URL is postgres://,
else SQLite; `BENCH_DB` overrides) with the demo shop, the static embedder, and one Daphne:

- "generate": `generate_catalog` wall time (COPY on PostgreSQL), parts/s, its CPU seconds and
  peak resident memory (the machine is shared: CPU is what the work cost, wall what it took),
  and the database's size once built.
- "build_embeddings": the command end to end (static model), parts/s, CPU and peak memory.
- "import": a CSV of BENCH_IMPORT (2,000) new parts with their fits through
  `catalog_file_import` (what `manage.py import_catalog` runs; their vectors are embedded after
  commit, in this process), then the same file again (all unchanged), parts/s; floor: the
  generator's bare write rate in the same run.
- "index build": this process's lexical index and vector matrix, seconds (wall and CPU) and
  memory (the growth of the process's private memory, its peak resident memory, and up to
  100,000 parts or with BENCH_TRACEMALLOC=1 tracemalloc's count for a second lexical build; the
  matrix's resident pages, which are a shared file's above 20,000 vectors); the lexical arrays'
  size and whether they are the host's shared file, and how long another process takes to
  open it.
- "search, lexical only", "search, fused (semantic on)" (query vector not cached), against
  the floors "numpy dot" (the matrix-vector product and top-50 every semantic search does),
  "query embedding", and for lexical search ten parts read by primary key (every search reads
  its results back); BENCH_RUNS (5) runs of BENCH_QUERIES (300) distinct queries, each run's
  p95 and the median of the runs.
- "PostgreSQL full-text" (PostgreSQL only): the alternative measured on the same rows, a stored
  tsvector column over the same fields with a GIN index, `ts_rank` over every match of the
  query's terms OR'd (what the BM25 index ranks), top 50: build seconds, index size, p50/p95
  over BENCH_FTS_QUERIES (60; 0 leaves it out) queries, one run (it is slow), up to
  BENCH_FTS_MAX_PARTS (100,000) parts: at 1,000,000 its column rewrites a 1 GB table.
- "freshness": a catalogue edit (a part renamed with a new word, one CSV row through the
  import, its vector refreshed after commit) until `product_search` finds it in this process;
  a price-only edit until the next search answers (the index is kept).
- Over HTTP on the Daphne process: its resident and private memory before and after its first
  search (what each web process holds for its indexes; the vector file is already written by
  then, as it is for every process after the first on a host) and that first search's time (a cold index
  build); `GET /api/catalog/search` p50/p95 against `GET /admin/login/`; the assistant's
  reply (`POST /api/chat/conversations/{id}/messages`, BENCH_RUNS runs of BENCH_MESSAGES dev
  set messages, eight to a conversation) against the same floor.

Every figure carries the load average when it was taken: the machine is shared. The vector
files of a size are written in a temporary folder (PARLEY_VECTOR_DIR, for this process and the
Daphne) removed when the size is done, like its database.

`BENCH_KEEP=1` (PostgreSQL) builds each size into a database that outlives the run,
`parley_bench_scale_<size>`, and a later run with it measures the same catalogue again without
generating it (the build's figures are the run's that made it, marked "reused"): for 1,000,000
parts the build is most of the run. What a run adds (the imported parts, the renamed part, the
full-text column) is undone when it ends and again when the next starts. Drop the databases
with `dropdb` when done.
"""

import contextlib
import csv
import io
import itertools
import json
import logging
import mmap
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

import httpx
from bench_assistant import messages
from bench_search import queries
from common import environment, figures_print, latency_figures, timed, write_result

from core.testing.live import LiveStack

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000").split(",") if s.strip()]
if os.environ.get("BENCH_1M") == "1" and 1_000_000 not in SIZES:
    SIZES.append(1_000_000)
DB = os.environ.get("BENCH_DB") or (
    "postgres" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
)
N = int(os.environ.get("BENCH_QUERIES", "300"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
IMPORT_N = int(os.environ.get("BENCH_IMPORT", "2000"))
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "200"))
FTS_QUERIES = int(os.environ.get("BENCH_FTS_QUERIES", "60"))
FTS_MAX_PARTS = int(os.environ.get("BENCH_FTS_MAX_PARTS", "100000"))
HTTP_N = int(os.environ.get("BENCH_HTTP_N", "300"))
KEEP = os.environ.get("BENCH_KEEP") == "1"
IMPORT_PREFIX, FRESH_WORD = "PS8", "zyxoquartz"
ENV = {
    "PARLEY_EMBEDDINGS": "static",
    # As a Daphne should run on PostgreSQL (README, DATABASE_POOL): without the pool every request
    # that reads the database opens a connection of its own, several ms of the search's HTTP time.
    "DATABASE_POOL": "1",
    "PARLEY_RATE_LIMIT_PER_MINUTE": "0",
    "PARLEY_RATE_LIMIT_PER_HOUR": "0",
    "PARLEY_CONVERSATIONS_RATE_PER_ADDRESS": "0/m",
}


class Taken(dict):
    """A size's figures, each also printed the moment it is taken: a run stopped part-way (1,000,000
    parts takes an hour on a busy machine) still shows what it measured."""

    def __setitem__(self, label, values):
        super().__setitem__(label, values)
        print("TAKEN " + json.dumps({label: values}), flush=True)


def load() -> float:
    return round(os.getloadavg()[0], 2)


def memory_mb(pid: int | str = "self") -> tuple[float, float]:
    """(resident, private) MB of a process: private is what it alone holds (pages of a file every
    process maps, such as the shared vector matrix, are resident but not private)."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return fields.get("Rss", float("nan")), fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0)


def peak_mb() -> float:
    """This process's peak resident memory so far (MB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def manage_measured(stack: LiveStack, *args: str) -> tuple[str, dict]:
    """`manage.py <args>` on the stack's database: its stdout, and wall seconds, CPU seconds and
    peak resident memory (MB) of that process."""
    with tempfile.TemporaryFile("w+") as out:
        t0 = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=stack_dir(), env=stack.env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            child.returncode = 0  # reaped by wait4; Popen must not wait for it again
        wall = time.perf_counter() - t0
        out.seek(0)
        text = out.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{text[-3000:]}")
    return text, {
        "seconds": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
    }


def stack_dir() -> str:
    from core.testing.live import BASE_DIR

    return str(BASE_DIR)


def _mapped(array) -> bool:
    """Is this array a view of a mapped file (the host's shared index), not memory of its own?"""
    import numpy as np

    while isinstance(array, np.ndarray) and array.base is not None:
        array = array.base
    return isinstance(array.obj if isinstance(array, memoryview) else array, mmap.mmap)


def runs(fn, items, floor_fn=None) -> dict:
    """RUNS runs of fn over items (and of floor_fn right after each): p50/p95 per run and medians.
    `items` may be a function of the run's number giving that run's own items."""
    p95s, p50s, floor_p95s = [], [], []
    for run in range(RUNS):
        run_items = items(run) if callable(items) else items
        stats = latency_figures(timed(fn, run_items))
        p95s.append(stats["p95_ms"])
        p50s.append(stats["p50_ms"])
        if floor_fn is not None:
            floor_p95s.append(latency_figures(timed(floor_fn, run_items))["p95_ms"])
    n = len(run_items)
    out = {"runs": RUNS, "n": n, "p50_ms": statistics.median(p50s), "p95_ms": statistics.median(p95s)}
    out["p95_ms_runs"] = "/".join(f"{v:.2f}" for v in p95s)
    if floor_p95s:
        out["floor_p95_ms"] = statistics.median(floor_p95s)
        out["floor_p95_ms_runs"] = "/".join(f"{v:.2f}" for v in floor_p95s)
        out["ratio_to_floor"] = round(out["p95_ms"] / max(out["floor_p95_ms"], 1e-6), 2)
    out["load"] = load()
    return out


def import_csv(count: int, models: list[str]) -> bytes:
    """A shop's CSV of `count` new parts (PS8…, never generated) shaped like the generator's, each
    fitting three of `models`."""
    from catalog.services import synthetic

    rnd = random.Random(99)
    pools = synthetic._Pools(synthetic._models(len(synthetic.BRANDS) * len(synthetic.APPLIANCES), rnd, set()))
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ["part_number", "manufacturer_number", "name", "brand", "appliance_type", "category", "price"]
    writer.writerow([*columns, "description", "stock", "compatible_models"])
    for i in range(count):
        part, _ = synthetic._part(i, rnd, pools, set())
        part["part_number"] = f"{IMPORT_PREFIX}{i:07d}"
        part["manufacturer_number"] = part["manufacturer_part_number"]
        fits = "|".join(rnd.sample(models, 3))
        writer.writerow([*(part[c] for c in columns), part["description"], part["stock_quantity"], fits])
    return out.getvalue().encode()


def csv_row(**values) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(values))
    writer.writerow(list(values.values()))
    return out.getvalue().encode()


def in_process(size: int, generate_rate: float) -> dict:
    import numpy as np
    from django.db import connection, connections
    from django.utils import timezone

    from catalog.models import ApplianceModel, Product
    from catalog.search import embeddings, lexical, semantic
    from catalog.search.text import query_terms
    from catalog.selectors import product_search
    from catalog.services.import_files import catalog_file_import

    connections.close_all()
    figures: dict[str, dict] = Taken()
    qs = queries(N)

    # Index build: time and RSS growth of the first build, then tracemalloc's view of a second.
    lexical.cache.clear()
    semantic.cache.clear()
    name = embeddings.embedder_name_configured()
    before = memory_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    lexical.cache.get()
    lexical_s, lexical_cpu = time.perf_counter() - t0, time.process_time() - c0
    mid = memory_mb()
    lexical_peak = peak_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    vectors = semantic.cache.get(name)
    ids, matrix = vectors.ids, vectors.matrix
    matrix @ matrix[0]  # touch every page, as the first search does
    semantic_s, semantic_cpu = time.perf_counter() - t0, time.process_time() - c0
    after = memory_mb()
    index = lexical.cache.base
    # Another process on the host: maps the file this one wrote (above SHARED_MIN parts).
    other = lexical._Cache()
    t0 = time.perf_counter()
    other.get()
    open_s = time.perf_counter() - t0
    del other
    figures["index build"] = {
        "lexical_s": round(lexical_s, 2),
        "lexical_cpu_s": round(lexical_cpu, 2),
        "lexical_terms": int(index.terms.size),
        "lexical_private_mb": round(mid[1] - before[1], 1),
        "process_peak_after_lexical_mb": lexical_peak,
        "lexical_arrays_mb": round(sum(a.nbytes for a in index.arrays.values()) / 2**20, 1),
        "lexical_shared_file": _mapped(index.docs),
        "lexical_open_in_another_process_s": round(open_s, 3),
        "vectors_s": round(semantic_s, 2),
        "vectors_cpu_s": round(semantic_cpu, 2),
        "vectors": int(ids.size),
        "vectors_private_mb": round(after[1] - mid[1], 1),
        "vectors_rss_mb": round(after[0] - mid[0], 1),
        "vectors_shared_file": _mapped(matrix),
        "vectors_grouped": vectors.centroids is not None,
        "matrix_mb": round(matrix.nbytes / 2**20, 1),
        "process_peak_after_vectors_mb": peak_mb(),
        "load": load(),
    }
    del index
    if size <= 100_000 or os.environ.get("BENCH_TRACEMALLOC") == "1":
        # A second build under tracemalloc (several times slower: left out at 1,000,000 by default):
        # what a built index holds, and the build's peak (the rows read are not counted).
        rows = list(Product.objects.filter(is_active=True).order_by("id").values_list("id", *lexical._FIELDS))
        tracemalloc.start()
        built = lexical.LexicalIndex(rows)
        traced, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        figures["index build"]["lexical_traced_mb"] = round(traced / 2**20, 1)
        figures["index build"]["lexical_build_traced_peak_mb"] = round(traced_peak / 2**20, 1)
        del built, rows

    for q in qs[:20]:
        product_search(query=q, limit=10)
    vector = matrix[0].copy()

    def dot(_):
        scores = matrix @ vector
        top = np.argpartition(-scores, 50)[:50]
        return top[np.argsort(-scores[top])]

    embedder = embeddings.embedder_get()
    figures["floor: numpy dot + top 50"] = runs(dot, qs)
    figures["floor: query embedding"] = runs(lambda q: embedder.embed([q]), qs)
    # Every search reads its results back from the database: ten parts by primary key is its floor.
    sample = list(Product.objects.filter(is_active=True).values_list("id", flat=True)[: 10 * len(qs)])
    pages = {q: sample[i * 10 : i * 10 + 10] for i, q in enumerate(qs)}
    figures["search, lexical only"] = {
        **runs(
            lambda q: product_search(query=q, limit=10, semantic=False),
            qs,
            floor_fn=lambda q: list(Product.objects.in_bulk(pages[q])),
        ),
        "target_p95_ms": 5,
    }

    def fused(q):
        embeddings.query_vector.cache_clear()
        return product_search(query=q, limit=10)

    figures["search, fused (semantic on)"] = runs(fused, qs, floor_fn=dot)
    figures["search, fused (semantic on)"]["target_ratio_to_floor"] = 3

    if connection.vendor == "postgresql" and FTS_QUERIES and size <= FTS_MAX_PARTS:
        figures["PostgreSQL full-text (GIN, ts_rank)"] = postgres_fts(qs, query_terms)

    # A shop's CSV through the import service (what `manage.py import_catalog` runs): new parts
    # (their vectors embedded after commit, in this process: no broker), then the same file again.
    models = list(ApplianceModel.objects.filter(brand__in=["Whirlpool", "GE"]).values_list("model_number", flat=True))
    data = import_csv(IMPORT_N, models[:500])
    t0 = time.perf_counter()
    result = catalog_file_import(data=data, file_format="csv")
    new_s = time.perf_counter() - t0
    assert result.parts.created == IMPORT_N and not result.rejected, (result.parts, result.rejected[:3])
    t0 = time.perf_counter()
    result = catalog_file_import(data=data, file_format="csv")
    same_s = time.perf_counter() - t0
    assert result.parts.unchanged == IMPORT_N, result.parts
    figures["import (CSV, catalog_file_import)"] = {
        "parts": IMPORT_N,
        "new_parts_per_s": round(IMPORT_N / new_s),
        "unchanged_parts_per_s": round(IMPORT_N / same_s),
        "floor_generate_parts_per_s": round(generate_rate),
        "load": load(),
    }

    # Freshness: one part renamed with a new word through the import (one CSV row, the other
    # fields kept), its vector refreshed after commit, until a search in this process finds it.
    product_search(query="warm up", limit=5)  # the import above changed text: rebuilt here, not counted
    part = Product.objects.filter(ps_number__startswith="PS9", is_active=True).order_by("id")[size // 2]
    word = FRESH_WORD
    row = csv_row(
        part_number=part.ps_number,
        name=f"{part.name} {word}",
        brand=part.brand,
        appliance_type=part.appliance_type,
        price=part.price,
    )
    t0 = time.perf_counter()
    catalog_file_import(data=row, file_format="csv")
    t1 = time.perf_counter()
    # Another process's edit is seen within PARLEY_DATA_RECHECK_SECONDS (core/stamps.py): ask until found.
    while True:
        embeddings.query_vector.cache_clear()
        found = [p.pk for p in product_search(query=word, limit=5)]
        t2 = time.perf_counter()
        if part.pk in found or t2 - t1 > 120:
            break
        time.sleep(0.02)
    assert part.pk in found, found
    # A price edit bumps updated_at too: the next search checks the changed rows' text and keeps the index.
    t3 = time.perf_counter()
    Product.objects.filter(pk=part.pk).update(price=part.price + 1, updated_at=timezone.now())
    product_search(query=word, limit=5, semantic=False)
    price_s = time.perf_counter() - t3
    Product.objects.filter(pk=part.pk).update(price=part.price)
    figures["freshness"] = {
        "text_edit_import_s": round(t1 - t0, 3),
        "first_search_after_s": round(t2 - t1, 3),
        "text_edit_to_searchable_s": round(t2 - t0, 3),
        "price_edit_to_next_answer_ms": round(price_s * 1000, 1),
        "load": load(),
    }
    connections.close_all()
    return figures


def postgres_fts(qs: list[str], query_terms) -> dict:
    """PostgreSQL full-text search as it would be built: a stored tsvector column over the same
    fields, a GIN index, the query's terms OR'd (what BM25 ranks) and `ts_rank` for the top 50;
    FTS_QUERIES queries, one run, 5 s per statement at most."""
    from django.db import connection

    document = (
        "to_tsvector('simple', coalesce(name,'') || ' ' || coalesce(category,'') || ' ' || coalesce(brand,'') "
        "|| ' ' || coalesce(appliance_type,'') || ' ' || coalesce(description,''))"
    )
    with connection.cursor() as cursor:
        t0 = time.perf_counter()
        cursor.execute(
            f"ALTER TABLE catalog_product ADD COLUMN bench_tsv tsvector GENERATED ALWAYS AS ({document}) STORED"
        )
        cursor.execute("CREATE INDEX bench_fts ON catalog_product USING gin (bench_tsv)")
        cursor.execute("ANALYZE catalog_product")
        build_s = time.perf_counter() - t0
        cursor.execute("SELECT pg_relation_size('bench_fts')")
        size_mb = cursor.fetchone()[0] / 2**20
        cursor.execute("SET statement_timeout = '5s'")
        matches = []

        def search(q):
            terms = [t for t in query_terms(q) if t.isalnum()]
            if not terms:
                return []
            tsquery = " | ".join(terms)
            cursor.execute(
                "SELECT id FROM catalog_product WHERE is_active AND bench_tsv @@ to_tsquery('simple', %s) "
                "ORDER BY ts_rank(bench_tsv, to_tsquery('simple', %s)) DESC LIMIT 50",
                [tsquery, tsquery],
            )
            matches.append(len(cursor.fetchall()))

        subset = qs[:FTS_QUERIES]
        for q in subset[:5]:
            search(q)
        stats = latency_figures(timed(search, subset))
        cursor.execute("SET statement_timeout = 0")
        cursor.execute("ALTER TABLE catalog_product DROP COLUMN bench_tsv")
    return {
        "n": stats["n"],
        "p50_ms": stats["p50_ms"],
        "p95_ms": stats["p95_ms"],
        "index_build_s": round(build_s, 2),
        "index_mb": round(size_mb, 1),
        "load": load(),
    }


def over_http(stack: LiveStack, texts: list[str]) -> dict:
    figures: dict[str, dict] = Taken()
    qs = queries(HTTP_N)
    pid = stack.server.pid
    with httpx.Client(base_url=stack.base_url, timeout=600) as client:
        client.get("/admin/login/")
        before = memory_mb(pid)
        t0 = time.perf_counter()
        response = client.get("/api/catalog/search", params={"q": "door shelf bin"})
        first_s = time.perf_counter() - t0
        assert response.status_code == 200, response.text
        after = memory_mb(pid)
        figures["web process"] = {
            "first_search_s": round(first_s, 2),
            "rss_before_mb": round(before[0], 1),
            "rss_after_mb": round(after[0], 1),
            "index_rss_mb": round(after[0] - before[0], 1),
            "index_private_mb": round(after[1] - before[1], 1),
            "load": load(),
        }
        for q in qs[:20]:
            client.get("/api/catalog/search", params={"q": q})

        def get(q):
            response = client.get("/api/catalog/search", params={"q": q, "limit": 10})
            assert response.status_code == 200, response.text

        floor = lambda _: client.get("/admin/login/")  # noqa: E731
        figures["HTTP GET /api/catalog/search"] = {**runs(get, [q + " x" for q in qs], floor_fn=floor)}
        figures["HTTP GET /api/catalog/search"]["target_ratio_to_floor"] = 3

        # Each run its own conversations, eight messages each (made untimed, before the run).
        def conversations(count):
            made = [client.post("/api/chat/conversations", json={}).json() for _ in range(-(-count // 8))]
            return [(made[i // 8], texts[i % len(texts)]) for i in range(count)]

        def reply(item):
            conv, text = item
            response = client.post(
                f"/api/chat/conversations/{conv['id']}/messages",
                json={"content": text},
                headers={"Authorization": f"Bearer {conv['token']}"},
            )
            if response.status_code != 201:
                raise SystemExit(f"reply answered {response.status_code}: {response.text[:300]}")

        for item in conversations(20):  # warm-up
            reply(item)
        figures["assistant reply (POST message)"] = runs(reply, lambda _: conversations(MESSAGES), floor_fn=floor)
        figures["web process"]["rss_end_mb"], figures["web process"]["private_end_mb"] = (
            round(v, 1) for v in memory_mb(pid)
        )
    return figures


def undo_run_edits() -> None:
    """What a run adds to a kept catalogue, taken out again: the imported parts, the renamed
    part's new word (its vector refreshed), the full-text column."""
    from django.db import connection

    from catalog.models import Product
    from catalog.services.embeddings import product_embeddings_refresh

    Product.objects.filter(ps_number__startswith=IMPORT_PREFIX).delete()
    renamed = []
    for part in Product.objects.filter(name__endswith=f" {FRESH_WORD}"):
        Product.objects.filter(pk=part.pk).update(name=part.name.removesuffix(f" {FRESH_WORD}"))
        renamed.append(part.pk)
    if renamed:
        product_embeddings_refresh(product_ids=renamed)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE catalog_product DROP COLUMN IF EXISTS bench_tsv")


def django_on(stack: LiveStack, vector_dir: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": stack.database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_DEBUG": "0",  # no query log: it would hold every statement, vectors included
            "PARLEY_VECTOR_DIR": vector_dir,
            **ENV,
        }
    )
    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise


def build(stack: LiveStack, size: int) -> dict:
    """generate_catalog and build_embeddings on the stack's database, measured."""
    from django.db import connection, connections

    figures: dict[str, dict] = Taken()
    connections.close_all()
    models = max(40, size // 20)
    _, usage = manage_measured(
        stack, "generate_catalog", "--parts", str(size), "--models", str(models), "--no-progress"
    )
    figures["generate"] = {"parts": size, "models": models, **usage, "parts_per_s": round(size / usage["seconds"])}
    out, usage = manage_measured(stack, "build_embeddings", "--no-progress", "--batch-size", "1024")
    print(out.strip().splitlines()[-1], flush=True)
    figures["build_embeddings"] = {**usage, "parts_per_s": round(size / usage["seconds"])}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("SELECT pg_database_size(current_database())")
            figures["generate"]["database_mb"] = round(cursor.fetchone()[0] / 2**20)
    figures["generate"]["load"] = figures["build_embeddings"]["load"] = load()
    return figures


def kept_build(stack: LiveStack, size: int) -> dict:
    """A kept database's build figures: measured now when it holds no catalogue yet, else those of
    the run that built it (kept in a table of its own), marked reused."""
    from django.db import connection

    from catalog.models import Product

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_scale_build (figures text NOT NULL)")
        cursor.execute("SELECT figures FROM bench_scale_build")
        row = cursor.fetchone()
    if row and Product.objects.filter(ps_number__startswith="PS9").count() == size:
        undo_run_edits()
        figures = Taken()
        for label, values in json.loads(row[0]).items():
            figures[label] = {**values, "reused": True}
        return figures
    if Product.objects.filter(ps_number__startswith="PS9").exists():
        raise SystemExit(f"{stack.kept_database} holds a partial catalogue: drop it and run again")
    figures = build(stack, size)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_scale_build (figures) VALUES (%s)", [json.dumps(figures)])
    return figures


def kept_database_hold(url: str):
    """A connection holding the kept database's advisory lock: two runs on one kept catalogue
    would build it twice at once and measure each other."""
    import psycopg

    from core.testing.services import postgres_conninfo

    connection = psycopg.connect(postgres_conninfo(url), autocommit=True)
    if not connection.execute("SELECT pg_try_advisory_lock(20201)").fetchone()[0]:
        raise SystemExit(f"another bench_scale run is using {url.rsplit('/', 1)[-1]}")
    return connection


def one_size(size: int, texts: list[str]) -> dict:
    """One size, in a process of its own (Django is set up on that size's database)."""
    vector_dir = tempfile.mkdtemp(prefix="parley-bench-vectors-")
    kept = f"parley_bench_scale_{size}" if KEEP and DB == "postgres" else None
    env = {**ENV, "PARLEY_VECTOR_DIR": vector_dir}
    try:
        with (
            LiveStack(database=DB, extra_env=env, startup_timeout=300, kept_database=kept) as stack,
            kept_database_hold(stack.database_url) if kept else contextlib.nullcontext(),
        ):
            django_on(stack, vector_dir)
            figures = kept_build(stack, size) if kept else build(stack, size)
            generate_rate = figures["generate"]["parts_per_s"]
            try:
                figures.update(in_process(size, generate_rate))
                figures.update(over_http(stack, texts))
            finally:
                if kept:
                    undo_run_edits()
        return figures
    finally:
        shutil.rmtree(vector_dir, ignore_errors=True)


# What the growth curve compares between two sizes: (figure, key) → how many times larger.
GROWTH = [
    ("search, lexical only", "p95_ms"),
    ("search, lexical only", "ratio_to_floor"),
    ("search, fused (semantic on)", "p95_ms"),
    ("search, fused (semantic on)", "ratio_to_floor"),
    ("HTTP GET /api/catalog/search", "p95_ms"),
    ("HTTP GET /api/catalog/search", "ratio_to_floor"),
    ("assistant reply (POST message)", "p95_ms"),
    ("assistant reply (POST message)", "ratio_to_floor"),
    ("import (CSV, catalog_file_import)", "new_parts_per_s"),
    ("build_embeddings", "parts_per_s"),
    ("generate", "parts_per_s"),
    ("web process", "index_rss_mb"),
    ("web process", "index_private_mb"),
    ("web process", "first_search_s"),
    ("index build", "lexical_s"),
    ("index build", "lexical_private_mb"),
]


def growth_between(figures: dict, small: int, large: int) -> dict:
    growth = {}
    for label, key in GROWTH:
        a = figures.get(f"{small:>7} {label}", {}).get(key)
        b = figures.get(f"{large:>7} {label}", {}).get(key)
        if a is not None and b is not None:
            growth[f"{label}: {key}"] = round(b / max(a, 0.1), 2)
    return growth


def main() -> int:
    if 1_000_000 in SIZES and DB != "postgres":
        print("1,000,000 parts is run on PostgreSQL only (DATABASE_URL=postgres://…)")
        return 1
    one = os.environ.get("BENCH_ONE_SIZE")
    if one:  # a child: one size, its figures as JSON on the last line
        texts = messages()
        random.Random(1).shuffle(texts)
        print("FIGURES " + json.dumps(one_size(int(one), texts)))
        return 0
    figures: dict[str, dict] = {}
    started_load = load()
    for size in SIZES:
        print(f"\n--- {size} parts on {DB} (load {load()}) ---", flush=True)
        lines = []
        with subprocess.Popen(
            [sys.executable, __file__],
            # One BLAS thread, as every web process has (config/asgi.py): the in-process searches
            # and the numpy floor then cost what they cost in a Daphne.
            env={**os.environ, "BENCH_ONE_SIZE": str(size), "OPENBLAS_NUM_THREADS": "1"},
            stdout=subprocess.PIPE,
            text=True,
        ) as child:
            for line in child.stdout:
                lines.append(line.rstrip("\n"))
                if line.startswith("TAKEN "):
                    taken = json.loads(line.removeprefix("TAKEN "))
                    figures_print({f"{size:>7} {label} (taken)": values for label, values in taken.items()})
                elif not line.startswith("FIGURES "):
                    print(line, end="", flush=True)
        found = [line for line in lines if line.startswith("FIGURES ")]
        if child.returncode or not found:
            print(f"{size} parts: failed (exit {child.returncode})")
            return 1
        for label, values in json.loads(found[-1].removeprefix("FIGURES ")).items():
            figures[f"{size:>7} {label}"] = values
            figures_print({f"{size:>7} {label}": values})
    sizes = sorted(SIZES)
    for small, large in itertools.pairwise(sizes):
        growth = growth_between(figures, small, large)
        figures[f"growth {small} -> {large} (x{large // small} parts)"] = growth
        figures_print({f"growth {small} -> {large}": growth})
    write_result(
        "scale",
        figures,
        environment(db=DB, sizes=SIZES, embedder="static", load_start=started_load, load_end=load()),
        method={
            "runs": RUNS,
            "queries": N,
            "http_requests": HTTP_N,
            "messages": MESSAGES,
            "import_parts": IMPORT_N,
            "concurrency": 1,
            "p95": "median of the runs' p95; a floor is measured right after its figure in each run",
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
