"""A holdout experiment's analysis over 10 million events, and the floor under it.

Data lives in a dedicated PostgreSQL database (default `parley_bench_experiment` on the server of
DATABASE_URL, or postgres://postgres@127.0.0.1:5432 when unset). The first run migrates it and
makes 10 million events of one running experiment (see Data below); later runs reuse them. `BENCH_EVENTS`, `BENCH_DB` and
`BENCH_REPEAT` (default 5) change the size, the database and the timed repetitions.

Figures, in process (no HTTP), warm after one call, best and median of BENCH_REPEAT:
- `analysis`: experiment_report_get() end to end (what GET /api/admin/experiments/{id} runs):
  the per-arm sums, the daily cumulative curve and all the statistics, read from the rollups;
- `floor: count(*) over analytics_event`: a plain COUNT over the same table in the same run, the
  least any query that reads the events themselves would cost;
- `rollup rebuild`: experiment_rollups_rebuild() once, from the events (what the backfill does;
  the beat's refresh only redoes the visitors with new events);
- `refresh after 1,000 new visitors`: the incremental refresh the beat task runs each minute.

Data: the events are made set-based in PostgreSQL (`generate_sql`: INSERT … SELECT over
generate_series, the same shape as `generate_events --experiment`: assignment, 1-4 product
views, carts, orders for 3% / 3.5% of the arms, 90/10 split), about 2.7 million visitors.
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


# Per visitor: the assignment, 1-4 product views, a cart for 10% (and every buyer), an order for
# 3% of the holdout and 3.5% of the chat arm (exponential values, mean 60): 3.66 events a visitor.
_EVENTS_PER_VISITOR = 1 + 2.5 + 0.1 + 0.035
_VISITORS_SQL = """
CREATE TEMP TABLE bench_visitors AS
SELECT g, 'bq' || g AS vid, now() - interval '28 days' + random() * interval '27 days' AS ts,
       CASE WHEN random() < 0.10 THEN 'holdout' ELSE 'chat' END AS arm,
       random() AS r_conv, random() AS r_cart, random() AS r_value, 1 + floor(random() * 4)::int AS views
FROM generate_series(%s, %s) AS g
"""
_COLUMNS = (
    "event_id, name, source, occurred_at, received_at, conversation_id, action_type, ps_number, "
    "model_number, intent, properties, visitor_id, value"
)
_INSERTS = [
    # assignments
    f"INSERT INTO analytics_event ({_COLUMNS}) SELECT 'bqa' || g, 'experiment_assigned', 'server', ts, ts, "
    "'', '', '', '', '', jsonb_build_object('experiment', %s::text, 'arm', arm), vid, NULL FROM bench_visitors",
    # product views
    f"INSERT INTO analytics_event ({_COLUMNS}) SELECT 'bqp' || g || '_' || k, 'product_viewed', 'client', "
    "ts + k * interval '1 minute', ts, '', '', '', '', '', '{}'::jsonb, vid, NULL "
    "FROM bench_visitors, generate_series(1, views) AS k",
    # carts
    f"INSERT INTO analytics_event ({_COLUMNS}) SELECT 'bqc' || g, 'cart_added', 'client', "
    "ts + interval '6 minutes', ts, '', '', '', '', '', '{}'::jsonb, vid, NULL FROM bench_visitors "
    "WHERE r_cart < 0.1 OR r_conv < CASE arm WHEN 'chat' THEN 0.035 ELSE 0.03 END",
    # orders
    f"INSERT INTO analytics_event ({_COLUMNS}) SELECT 'order:bq' || g, 'order_completed', 'client', "
    "ts + interval '20 minutes', ts, '', '', '', '', '', "
    "jsonb_build_object('order_id', 'bq' || g, 'currency', 'USD', 'source', 'bench'), vid, "
    "round((-60 * ln(1 - r_value))::numeric, 2) FROM bench_visitors "
    "WHERE r_conv < CASE arm WHEN 'chat' THEN 0.035 ELSE 0.03 END",
]


def generate_sql(connection, events: int, experiment_id: int) -> None:
    """About `events` more events of `experiment_id`'s visitors, set-based in PostgreSQL (the
    Python generator, `generate_events --experiment`, makes ~130k a minute on a busy 2-core box;
    this makes the same shape in a few minutes), in chunks of 500k visitors."""
    from django.db import transaction

    visitors = int(events / _EVENTS_PER_VISITOR)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(max(substring(visitor_id from 3)::bigint), 0) FROM analytics_event "
            "WHERE visitor_id LIKE 'bq%%'"
        )
        first = cursor.fetchone()[0] + 1
        for lo in range(first, first + visitors, 500_000):
            hi = min(lo + 500_000, first + visitors) - 1
            with connection.cursor() as c, transaction.atomic():
                c.execute(_VISITORS_SQL, [lo, hi])
                c.execute(_INSERTS[0], [experiment_id])
                for sql in _INSERTS[1:]:
                    c.execute(sql)
                c.execute("DROP TABLE bench_visitors")
            print(f"  visitors {lo:,}-{hi:,}", flush=True)


def main() -> int:
    import bench_dashboard

    bench_dashboard.DB_NAME = DB_NAME  # ensure_database creates this one
    url = database_url()
    created = ensure_database(url)
    manage(url, "migrate", "--noinput", "-v0")
    have = event_count(url)
    setup = {"created": created, "events_before": have}

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

    if have < EVENTS:
        experiment = Experiment.objects.order_by("-id").first() or Experiment.objects.create(
            name="Bench: +0.5 points on 3%",
            holdout_percent=10,
            status="running",
            started_at=timezone.now() - timedelta(days=28),
        )
        start = time.perf_counter()
        generate_sql(connection, EVENTS - have, experiment.pk)
        setup["generate_s"] = round(time.perf_counter() - start, 1)
        print(f"generated {EVENTS - have:,} events in {setup['generate_s']} s", flush=True)

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
