"""The operators' dashboard over 10 million events: every query it runs, timed.

Target: the whole dashboard (GET /api/admin/dashboard's selector, 30 and 90 days) in ≤ 500 ms.

Data lives in a dedicated PostgreSQL database (default `parley_bench_analytics` on the server of
DATABASE_URL, or postgres://postgres@127.0.0.1:5432 when unset). The first run migrates it, loads
the demo shop, runs `generate_events 10000000` (90 days, seed 42) and `analytics_backfill`; later
runs reuse it (they migrate, and run the incremental refresh the beat task would have run, so
rollups are current). `BENCH_EVENTS` changes the size, `BENCH_DB` the database name,
`BENCH_REPEAT` the timed repetitions (default 5, best and median reported).

Each figure is the selector code path the API calls, in-process (no HTTP), warm cache after one
warm-up call: `total` is dashboard_get() end to end; the other rows time its parts one by one.
"""

import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from urllib.parse import urlsplit

from common import REPO, environment, write_result  # bench/common.py; puts the repo on sys.path

EVENTS = int(os.environ.get("BENCH_EVENTS", "10000000"))
DB_NAME = os.environ.get("BENCH_DB", "parley_bench_analytics")
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
TARGET_MS = 500


def database_url() -> str:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        base = "postgres://postgres@127.0.0.1:5432/parley"
    return urlsplit(base)._replace(path=f"/{DB_NAME}").geturl()


def manage(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "0"}
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    print("$ manage.py", " ".join(args), flush=True)
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, check=True)


def connect(url: str, **kwargs):
    """psycopg.connect, waiting out a server that is briefly full (other suites share it)."""
    import psycopg

    deadline = time.monotonic() + 180
    while True:
        try:
            return psycopg.connect(url, **kwargs)
        except psycopg.OperationalError as exc:
            if "too many clients" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(2)


def ensure_database(url: str) -> bool:
    """Create the database if it is missing; True when it was created."""
    from psycopg import sql

    admin = urlsplit(url)._replace(path="/postgres").geturl()
    with connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    return not exists


def event_count(url: str) -> int:
    import psycopg

    with connect(url) as conn:
        try:
            return conn.execute("SELECT count(*) FROM analytics_event").fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return 0


def timed(fn, repeat: int) -> dict:
    fn()  # warm-up
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return {
        "best_ms": round(min(runs), 1),
        "median_ms": round(statistics.median(runs), 1),
        "max_ms": round(max(runs), 1),
    }


def main() -> int:
    url = database_url()
    created = ensure_database(url)
    manage(url, "migrate", "--noinput", "-v0")
    have = event_count(url)
    setup = {"created": created, "events_before": have}
    if have < EVENTS:
        if have == 0:
            manage(url, "seed_demo")
        start = time.perf_counter()
        manage(url, "generate_events", str(EVENTS - have), "--days", "90", "--seed", "42")
        setup["generate_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        manage(url, "analytics_backfill")
        setup["backfill_s"] = round(time.perf_counter() - start, 1)

    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from analytics.selectors import Period, dashboard_get, funnel_get
    from analytics.selectors import dashboard as d
    from analytics.services.rollups import analytics_rollups_refresh

    start = time.perf_counter()
    refreshed = analytics_rollups_refresh(now=timezone.now() + timedelta(seconds=10))
    setup["refresh_s"] = round(time.perf_counter() - start, 2)
    setup["refresh_events"] = refreshed.events
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    total_events = event_count(url)

    today = timezone.now().date()
    p30 = d.Period(start=today - timedelta(days=29), end=today)
    p90 = d.Period(start=today - timedelta(days=89), end=today)
    top_part = dashboard_get(period=p30)["top_parts"]["mentions"][0]["ps_number"]
    p90_part = d.Period(start=p90.start, end=today, ps_number=top_part)
    p90_type = d.Period(start=p90.start, end=today, action_type="checkout_now")

    figures = {}

    def part(label, fn):
        figures[label] = timed(fn, REPEAT)
        f = figures[label]
        print(f"{label:<44} best {f['best_ms']:>7.1f} ms  median {f['median_ms']:>7.1f} ms", flush=True)

    split90 = d._split(p90)
    part("90d: rollup state (_split)", lambda: d._split(p90))
    part("90d: funnel (rollups + newer events)", lambda: d._funnel(p90, split90))
    part("90d: orders by day/source/currency", lambda: d._orders(p90, split90))
    part(
        "90d: events by day × name (trend)",
        lambda: d.event_counts(p90, split90, names=[str(n) for n in d.EventName], group_by=("day", "name")),
    )
    part("90d: actions by type", lambda: d._actions(p90, split90))
    part("90d: top parts (mentions, recs, sales)", lambda: d._top_parts(p90, split90))
    part("90d: alerts", lambda: d._alerts(p90))
    part("90d: assistant cost", lambda: d._assistant_cost(p90, split90))
    part("total: dashboard 30 days", lambda: dashboard_get(period=p30))
    part("total: dashboard 90 days", lambda: dashboard_get(period=p90))
    part(f"total: dashboard 90 days, part {top_part}", lambda: dashboard_get(period=p90_part))
    part("total: dashboard 90 days, checkout_now", lambda: dashboard_get(period=p90_type))
    part("total: funnel 7 days", lambda: funnel_get(period=Period(start=today - timedelta(days=6), end=today)))

    worst = max(v["median_ms"] for k, v in figures.items() if k.startswith("total: dashboard"))
    verdict = "PASS" if worst <= TARGET_MS else "FAIL"
    print(
        f"events in the database: {total_events:,}; worst dashboard median {worst:.1f} ms (target ≤ {TARGET_MS} ms): {verdict}"
    )
    write_result(
        "dashboard",
        figures,
        environment(db="postgresql", database=DB_NAME, events=total_events),
        method={
            "repeat": REPEAT,
            "warmup": 1,
            "in_process": True,
            "target_ms": TARGET_MS,
            "setup": setup,
            "note": "event figures: rollups + events newer than the watermark; orders/usage: rollups through "
            "yesterday + today's rows",
        },
    )
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
