"""Back-in-stock fan-out: 10,000 subscribers to one part, one restock large enough for all.

Starts a live stack on PostgreSQL + Redis with ONE Celery worker (solo pool, concurrency 1:
`core.testing.live`), email to the file backend. Creates BENCH_ALERTS_N (default 10,000)
active email subscriptions to PS11750057 with the part out of stock, then sets its stock to
N through `product_stock_set` (as the admin or `import_stock` would). The clock starts when
that stock write commits and stops at the last notice's `sent_at` (its outbox delivery's): the
receiver, the restock round, the 10,000 notice and delivery rows, the batches through Redis,
the outbox's batch claim → render → send → record per notice, telemetry. Then every email file is read: each notice's `X-Parley-Notice` header
must appear exactly once (duplicates are counted and reported, target 0).

Target: every notice delivered in ≤ 10 s, zero duplicates.
"""

import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from common import environment, write_result  # bench/common.py; puts the repo on sys.path

from core.testing.live import LiveStack

N = int(os.environ.get("BENCH_ALERTS_N", "10000"))
TIMEOUT = float(os.environ.get("BENCH_ALERTS_TIMEOUT", "180"))
BATCH = os.environ.get("BENCH_ALERTS_BATCH", "500")

# A notice's sending state (status, sent_at) is its outbox delivery's.
NOTICES = "alerts_alertnotice n JOIN core_outbounddelivery d ON d.id = n.delivery_id"

SETUP = """
from catalog.models import Product
from alerts.models import BackInStockSubscription as S
p = Product.objects.get(ps_number="PS11750057")
Product.objects.filter(pk=p.pk).update(stock_quantity=0)
S.objects.bulk_create(
    [S(product=p, channel="email", contact=f"subscriber{{i:05d}}@example.com", status="active") for i in range({n})],
    batch_size=2000,
)
"""
RESTOCK = """
import time
from catalog.models import Product
from catalog.services.stock import product_stock_set
product_stock_set(product=Product.objects.get(ps_number="PS11750057"), quantity={n})
print("COMMITTED", time.time())
"""


def main() -> int:
    import psycopg

    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("bench_alerts needs DATABASE_URL=postgres://… and REDIS_URL", file=sys.stderr)
        return 1
    mail_dir = Path(tempfile.mkdtemp(prefix="parley-bench-alerts-mail-"))
    env = {"EMAIL_URL": f"filemail:///{mail_dir}", "ALERTS_BATCH_SIZE": BATCH}
    with LiveStack(database="postgres", redis=True, celery_worker=True, extra_env=env) as stack:
        stack.run_manage("shell", "-c", SETUP.format(n=N))
        out = stack.run_manage("shell", "-c", RESTOCK.format(n=N))
        committed = float(re.search(r"COMMITTED ([0-9.]+)", out).group(1))
        deadline = time.monotonic() + TIMEOUT
        with psycopg.connect(stack.database_url, autocommit=True) as conn:
            while True:
                (sent,) = conn.execute(f"SELECT count(*) FROM {NOTICES} WHERE d.status = 'sent'").fetchone()
                if sent >= N or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            first, last = conn.execute(
                "SELECT extract(epoch FROM min(d.sent_at)), extract(epoch FROM max(d.sent_at)) "
                f"FROM {NOTICES} WHERE d.status = 'sent'"
            ).fetchone()
            statuses = dict(conn.execute(f"SELECT d.status, count(*) FROM {NOTICES} GROUP BY d.status").fetchall())
            (events,) = conn.execute("SELECT count(*) FROM analytics_event WHERE name = 'alert_notified'").fetchone()
        time.sleep(0.5)  # the last file flush
        headers = Counter()
        for path in mail_dir.glob("*.log"):
            headers.update(re.findall(r"^X-Parley-Notice: (alert-\S+)$", path.read_text(errors="replace"), re.M))
    emails = sum(headers.values())
    duplicates = emails - len(headers)
    elapsed = float(last) - committed if last else float("nan")
    figures = {
        "fanout": {
            "subscribers": N,
            "notices_sent": statuses.get("sent", 0),
            "emails_written": emails,
            "duplicates": duplicates,
            "seconds_commit_to_last_sent": round(elapsed, 3),
            "notices_per_s": round(statuses.get("sent", 0) / elapsed, 1) if last else 0,
            "seconds_first_to_last_sent": round(float(last) - float(first), 3) if last else float("nan"),
            "alert_notified_events": events,
        }
    }
    for key, value in figures["fanout"].items():
        print(f"{key:32} {value}")
    ok = statuses.get("sent", 0) == N and emails == N and duplicates == 0
    print(f"target: all {N} delivered in <= 10 s with 0 duplicates -> {'MET' if ok and elapsed <= 10 else 'NOT MET'}")
    write_result(
        "alerts",
        figures,
        environment(
            db="postgresql",
            broker="redis",
            workers=1,
            pool="solo",
            batch_size=int(BATCH),
        ),
        method={
            "subscribers": N,
            "workers": 1,
            "concurrency": 1,
            "email_backend": "filebased",
            "batch_size": int(BATCH),
            "clock": "stock write committed -> max(sent_at) of the notices",
        },
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
