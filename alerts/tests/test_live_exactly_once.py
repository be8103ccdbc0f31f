"""Exactly once through a real crash: a Celery worker on Redis is killed (SIGKILL) mid-batch and
restarted; every subscriber still gets exactly one email (file email backend) and the database
agrees. PostgreSQL + Redis only (the outbox's batch claim uses SELECT … FOR UPDATE SKIP LOCKED)."""

import os
import re
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from core.testing.live import wait_for

SUBSCRIBERS = 24
NOTICE_HEADER = re.compile(r"^X-Parley-Notice: (alert-\S+)$", re.M)
TO_HEADER = re.compile(r"^To: (\S+)$", re.M)

SETUP = """
from catalog.models import Product
from alerts.models import BackInStockSubscription as S
p = Product.objects.get(ps_number="PS11750057")
Product.objects.filter(pk=p.pk).update(stock_quantity=0)
S.objects.bulk_create([S(product=p, channel="email", contact=f"p{{i:03d}}@example.com", status="active")
                       for i in range({n})])
"""
RESTOCK = """
from catalog.models import Product
from catalog.services.stock import product_stock_set
product_stock_set(product=Product.objects.get(ps_number="PS11750057"), quantity={n})
"""


def emails(directory: Path) -> tuple[Counter, Counter]:
    text = "".join(path.read_text(errors="replace") for path in sorted(directory.glob("*.log")))
    return Counter(NOTICE_HEADER.findall(text)), Counter(TO_HEADER.findall(text))


# A notice's sending state is its outbox delivery's.
NOTICE_STATUSES = (
    "SELECT d.status, count(*) FROM alerts_alertnotice n JOIN core_outbounddelivery d ON d.id = n.delivery_id "
    "GROUP BY d.status"
)


def notice_counts(stack) -> dict:
    return dict(stack.sql(NOTICE_STATUSES))


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(240)
def test_a_worker_killed_mid_batch_tells_every_subscriber_exactly_once(live_stack_factory, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    stack = live_stack_factory(
        database="postgres",
        redis=True,
        celery_worker=True,
        extra_env={
            "EMAIL_URL": f"filemail:///{mail_dir}",  # django-environ drops one leading slash
            "PARLEY_TEST_OUTBOUND_DELAY_SECONDS": "0.15",  # slow sending, so the kill lands mid-batch
            "ALERTS_BATCH_SIZE": "8",
            "OUTBOX_LEASE_SECONDS": "2",
        },
    )
    stack.run_manage("shell", "-c", SETUP.format(n=SUBSCRIBERS))
    stack.run_manage("shell", "-c", RESTOCK.format(n=SUBSCRIBERS))

    wait_for(
        lambda: notice_counts(stack).get("sent", 0) >= 5, timeout=60, what="the first notices to be sent", every=0.05
    )
    # Stop the worker where the file and the database agree (not inside the sub-millisecond gap
    # between the backend accepting a message and the UPDATE recording it: README), then kill it.
    # It must hold a claimed batch then: between two batches (a busy machine makes that gap long)
    # there would be nothing to lose.
    for _ in range(100):
        os.kill(stack.worker.pid, signal.SIGSTOP)
        counts = notice_counts(stack)
        if counts.get("sending", 0) >= 1 and sum(emails(mail_dir)[0].values()) == counts.get("sent", 0):
            break
        os.kill(stack.worker.pid, signal.SIGCONT)
        time.sleep(0.03)
    stack.kill_worker(signal.SIGKILL)
    at_kill = notice_counts(stack)
    assert at_kill.get("sending", 0) >= 1, at_kill  # killed with a claimed batch in its hands
    assert at_kill.get("sent", 0) < SUBSCRIBERS

    stack.start_worker()
    time.sleep(2.2)  # the dead worker's claims outlive their 2 s lease, then the beat's reconcile runs

    def reconciled_and_all_sent() -> bool:
        if notice_counts(stack).get("sent", 0) >= SUBSCRIBERS:
            return True
        stack.run_manage("outbox_reconcile", "--grace-seconds", "0", "--queue")
        stack.run_manage("alerts_reconcile")
        return False

    wait_for(reconciled_and_all_sent, timeout=90, every=1.0, what="every notice to be sent")

    by_notice, by_recipient = emails(mail_dir)
    assert notice_counts(stack) == {"sent": SUBSCRIBERS}
    assert sorted(by_recipient) == [f"p{i:03d}@example.com" for i in range(SUBSCRIBERS)]
    assert set(by_recipient.values()) == {1}, by_recipient.most_common(3)
    assert set(by_notice.values()) == {1} and len(by_notice) == SUBSCRIBERS
    statuses = stack.sql("SELECT status, count(*) FROM alerts_backinstocksubscription GROUP BY status")
    assert dict(statuses) == {"notified": SUBSCRIBERS}
    ((events,),) = stack.sql("SELECT count(*) FROM analytics_event WHERE name = 'alert_notified'")
    assert events == SUBSCRIBERS
