"""A holdout experiment's analysis over 10 million events, and the floor under it.

Data lives in a dedicated PostgreSQL database (default `parley_bench_experiment` on the server of
DATABASE_URL, or postgres://postgres@127.0.0.1:5432 when unset). The first run migrates it and
runs `generate_events 10000000 --experiment --seed 42` (COPY; about 2.5 million visitors, a
90/10 split, 3% → 3.5% conversion); later runs reuse it. `BENCH_EVENTS`, `BENCH_DB` and
`BENCH_REPEAT` (default 5) change the size, the database and the timed repetitions.

Figures, in process (no HTTP), warm after one call, best and median of BENCH_REPEAT:
- `analysis`: experiment_report_get() end to end (what GET /api/admin/experiments/{id} runs):
  the per-arm sums, the daily cumulative curve and all the statistics, read from the rollups;
- `floor: count(*) over analytics_event`: a plain COUNT over the same table in the same run, the
  least any query that reads the events themselves would cost;
- `rollup rebuild`: experiment_rollups_rebuild() once, from the events (what the backfill does;
  the beat's refresh only redoes the visitors with new events);
- `refresh after 1,000 new visitors`: the incremental refresh the beat task runs each minute.
"""

import os
import sys
import time
from datetime import timedelta

from bench_dashboard import ensure_database, event_count, manage, timed  # shared setup
from common import environment, write_result  # bench/common.py; puts the repo on sys.path

EVENTS = int(os.environ.get("BENCH_EVENTS", "10000000"))
DB_NAME = os.environ.get("BENCH_DB", "parley_bench_experiment")
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))


def database_url() -> str:
    from urllib.parse import urlsplit

    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        base = "postgres://postgres@127.0.0.1:5432/parley"
    return urlsplit(base)._replace(path=f"/{DB_NAME}").geturl()


def main() -> int:
    import bench_dashboard

    bench_dashboard.DB_NAME = DB_NAME  # ensure_database creates this one
    url = database_url()
    created = ensure_database(url)
    manage(url, "migrate", "--noinput", "-v0")
    have = event_count(url)
    setup = {"created": created, "events_before": have}
    if have < EVENTS:
        start = time.perf_counter()
        manage(url, "generate_events", str(EVENTS - have), "--experiment", "--seed", "42", "--no-progress")
        setup["generate_s"] = round(time.perf_counter() - start, 1)

    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Max
    from django.utils import timezone

    from analytics.models import Event, Experiment, ExperimentVisitor, RollupState
    from analytics.selectors.experiments import experiment_report_get
    from analytics.services.experiment_rollups import experiment_rollups_rebuild
    from analytics.services.experiments import experiment_assign, shop_order_record
    from analytics.services.rollups import analytics_rollups_refresh

    hi = Event.objects.aggregate(m=Max("id"))["m"] or 0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    start = time.perf_counter()
    experiment_rollups_rebuild(hi=hi)
    rebuild_s = time.perf_counter() - start
    # Later events are for the incremental refresh below; the watermark says the rest is done.
    RollupState.objects.update_or_create(key="default", defaults={"last_event_id": hi, "refreshed_at": timezone.now()})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    experiment = Experiment.objects.order_by("-id").first()
    total_events = event_count(url)
    visitors = ExperimentVisitor.objects.filter(experiment=experiment).count()

    figures = {}

    def part(label, fn):
        figures[label] = timed(fn, REPEAT)
        f = figures[label]
        print(f"{label:<40} best {f['best_ms']:>9.1f} ms  median {f['median_ms']:>9.1f} ms", flush=True)

    def count_all():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM analytics_event")
            cursor.fetchone()

    part("analysis (experiment_report_get)", lambda: experiment_report_get(experiment_id=experiment.pk))
    part("floor: count(*) over analytics_event", count_all)
    figures["rollup rebuild (once)"] = {"seconds": round(rebuild_s, 1)}
    print(f"{'rollup rebuild (once)':<40} {rebuild_s:>9.1f} s", flush=True)

    if experiment.status != "running":  # the generator leaves its experiment running unless another was
        Experiment.objects.filter(status="running").update(status="stopped", stopped_at=timezone.now())
        Experiment.objects.filter(pk=experiment.pk).update(status="running", stopped_at=None)
    run = f"{int(time.time())}"
    for i in range(1000):
        visitor = f"bench{run}v{i:05d}"
        experiment_assign(visitor_id=visitor, page_url="/")
        if i % 30 == 0:
            shop_order_record(
                order_id=f"bench{run}-{i}", visitor_id=visitor, value=60, currency="USD", occurred_at=timezone.now()
            )
    start = time.perf_counter()
    analytics_rollups_refresh(now=timezone.now() + timedelta(seconds=10))
    refresh_s = time.perf_counter() - start
    figures["refresh after 1,000 new visitors (once)"] = {"seconds": round(refresh_s, 2)}
    print(f"{'refresh after 1,000 new visitors (once)':<40} {refresh_s:>9.2f} s", flush=True)

    report = experiment_report_get(experiment_id=experiment.pk)
    print(f"events: {total_events:,}; visitors in the experiment: {visitors:,}; verdict: {report['verdict']['text']}")
    write_result(
        "experiment",
        figures,
        environment(db="postgresql", database=DB_NAME, events=total_events, visitors=visitors),
        method={
            "repeat": REPEAT,
            "warmup": 1,
            "in_process": True,
            "setup": setup,
            "note": "analysis reads ExperimentDailyRollup (per arm × day); the floor is a plain COUNT(*) over "
            "the events table in the same run",
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
