"""The outbox: enqueue with the change, claim, send outside any transaction, record, reconcile."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from core.outbox.models import OutboundAttempt, OutboundDelivery
from core.outbox.registry import Sender, SendResult, sender_register
from core.outbox.services import (
    deliveries_claim,
    deliveries_due,
    deliveries_enqueue_many,
    deliveries_reconcile,
    deliveries_resend,
    deliveries_send,
    delivery_enqueue,
    delivery_send,
)

pytestmark = pytest.mark.django_db(transaction=True)


class Recorder(Sender):
    """A sender whose answers the test scripts; it notes where each send ran."""

    kind = "test.recorder"

    def __init__(self):
        self.answers: list[SendResult] = []
        self.sent: list[dict] = []
        self.in_transaction: list[bool] = []
        self.after: list[tuple[str, str]] = []
        self.batches: list[list[str]] = []
        self.max_attempts = 3
        self.during_send = None

    def send(self, delivery):
        self.in_transaction.append(connection.in_atomic_block)
        if self.during_send:
            self.during_send(delivery)
        self.sent.append({"key": delivery.key, **delivery.payload})
        return self.answers.pop(0) if self.answers else SendResult.ok(external_id=f"ext-{len(self.sent)}")

    def on_sent(self, delivery, result):
        self.after.append(("sent", delivery.key))

    def on_failed(self, delivery, result):
        self.after.append(("failed", delivery.key))

    def after_batch(self, sent):
        self.batches.append([delivery.key for delivery in sent])


@pytest.fixture
def recorder():
    sender = Recorder()
    sender_register(sender)
    return sender


def test_a_delivery_is_sent_once_after_its_transaction_commits(recorder):
    with transaction.atomic():
        delivery = delivery_enqueue(kind=recorder.kind, key="k1", payload={"to": "ann"})
        delivery_enqueue(kind=recorder.kind, key="k1", payload={"to": "ann"})  # the same message: one row
        assert recorder.sent == []  # nothing leaves before the change commits

    delivery.refresh_from_db()
    assert recorder.sent == [{"key": "k1", "to": "ann"}]
    assert recorder.in_transaction == [False]
    assert (delivery.status, delivery.attempts, delivery.external_id) == ("sent", 1, "ext-1")
    assert recorder.after == [("sent", "k1")]
    assert list(delivery.attempt_rows.values_list("number", "status")) == [(1, "sent")]


def test_a_rolled_back_change_sends_nothing(recorder):
    with pytest.raises(RuntimeError), transaction.atomic():
        delivery_enqueue(kind=recorder.kind, key="k1", payload={})
        raise RuntimeError("the change failed")
    assert recorder.sent == [] and not OutboundDelivery.objects.exists()


def test_retryable_failures_back_off_then_succeed(recorder):
    recorder.answers = [SendResult.failed("timeout", retryable=True), SendResult.failed("503", retryable=True)]
    with transaction.atomic():
        delivery = delivery_enqueue(kind=recorder.kind, key="k1", payload={})
    delivery.refresh_from_db()  # eager Celery: the task's retries ran at once
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    assert list(delivery.attempt_rows.values_list("status", "error")) == [
        ("failed", "timeout"),
        ("failed", "503"),
        ("sent", ""),
    ]


def test_after_the_last_attempt_it_fails_and_the_sender_hears_it(recorder):
    recorder.answers = [SendResult.failed("down", retryable=True)] * 3
    with transaction.atomic():
        delivery = delivery_enqueue(kind=recorder.kind, key="k1", payload={})
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 3, "down")
    assert recorder.after == [("failed", "k1")]


def test_a_final_failure_is_not_retried(recorder):
    recorder.answers = [SendResult.failed("bad number", retryable=False, status_code=400)]
    with transaction.atomic():
        delivery = delivery_enqueue(kind=recorder.kind, key="k1", payload={})
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.attempt_rows.get().status_code == 400


def test_a_retry_waits_for_its_backoff_before_the_reconcile_picks_it_up(recorder, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # no worker: the test drives every step
    settings.CELERY_BROKER_URL = "memory://"
    delivery = OutboundDelivery.objects.create(kind=recorder.kind, key="k1", next_attempt_at=timezone.now())
    recorder.answers = [SendResult.failed("timeout", retryable=True)]

    outcome = delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert outcome.status == "retry" and 4 <= outcome.retry_in <= 5
    assert delivery.status == "pending" and delivery.next_attempt_at > timezone.now()
    assert deliveries_due(grace_seconds=0) == []
    OutboundDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert deliveries_reconcile(grace_seconds=0, inline=True)["sent"] == 1
    assert deliveries_reconcile(grace_seconds=0, inline=True)["due"] == 0


def test_a_claim_is_taken_once(recorder):
    delivery = OutboundDelivery.objects.create(kind=recorder.kind, key="k1", next_attempt_at=timezone.now())
    _, first = deliveries_claim(delivery_ids=[delivery.pk])
    _, second = deliveries_claim(delivery_ids=[delivery.pk])
    assert [row.pk for row in first] == [delivery.pk] and second == []
    assert delivery_send(delivery_id=delivery.pk).status == "skipped"  # another worker holds it
    assert recorder.sent == []


def test_a_killed_workers_claim_is_taken_over_after_its_lease_and_sent_once(recorder):
    delivery = OutboundDelivery.objects.create(kind=recorder.kind, key="k1", next_attempt_at=timezone.now())
    deliveries_claim(delivery_ids=[delivery.pk])  # then the worker is killed
    assert deliveries_due(grace_seconds=0) == []  # its lease still runs
    OutboundDelivery.objects.filter(pk=delivery.pk).update(leased_until=timezone.now() - timedelta(seconds=1))

    assert deliveries_due(grace_seconds=0) == [delivery.pk]
    call_command("outbox_reconcile", "--grace-seconds=0")

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert list(delivery.attempt_rows.values_list("status", flat=True)) == ["abandoned", "sent"]
    assert len(recorder.sent) == 1 and recorder.after == [("sent", "k1")]


def test_a_worker_that_lost_its_lease_does_not_record_over_the_new_owner(recorder):
    delivery = OutboundDelivery.objects.create(kind=recorder.kind, key="k1", next_attempt_at=timezone.now())

    def lease_runs_out_and_another_worker_claims(row):
        OutboundDelivery.objects.filter(pk=row.pk).update(leased_until=timezone.now() - timedelta(seconds=1))
        deliveries_claim(delivery_ids=[row.pk])

    recorder.during_send = lease_runs_out_and_another_worker_claims
    assert delivery_send(delivery_id=delivery.pk).status == "skipped"
    delivery.refresh_from_db()
    assert delivery.status == "sending" and recorder.after == []  # the new owner records


@pytest.mark.postgres
def test_the_row_is_not_locked_while_the_sender_talks_to_the_network(recorder):
    """Another transaction can lock the delivery while the send is in progress."""
    delivery = OutboundDelivery.objects.create(kind=recorder.kind, key="k1", next_attempt_at=timezone.now())
    locked_meanwhile = []

    def lock_from_another_connection(row):
        def other():
            try:
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL lock_timeout = '2s'")
                    OutboundDelivery.objects.select_for_update().get(pk=row.pk)
                    locked_meanwhile.append(True)
            finally:
                connection.close()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)

    recorder.during_send = lock_from_another_connection
    assert delivery_send(delivery_id=delivery.pk).status == "sent"
    assert locked_meanwhile == [True]


def test_an_operator_resends_a_failed_delivery_but_not_a_sent_chat_message(recorder):
    recorder.answers = [SendResult.failed("bad", retryable=False)]
    with transaction.atomic():
        failed = delivery_enqueue(kind=recorder.kind, key="k1", payload={})
        sent = delivery_enqueue(kind=recorder.kind, key="k2", payload={})
    assert OutboundDelivery.objects.get(pk=failed.pk).status == "failed"

    assert deliveries_resend(delivery_ids=[failed.pk, sent.pk]) == 1

    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("sent", 1)
    assert [s["key"] for s in recorder.sent] == ["k1", "k2", "k1"]
    recorder.resend_sent = True
    assert deliveries_resend(delivery_ids=[sent.pk]) == 1
    assert [s["key"] for s in recorder.sent][-1] == "k2"


def test_an_unknown_kind_fails_with_a_clear_error():
    with transaction.atomic():
        delivery = delivery_enqueue(kind="nobody.sends.this", key="k1", payload={})
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "No sender" in delivery.last_error


def test_a_broken_on_sent_still_records_the_delivery_as_sent(recorder):
    def broken(delivery, result):
        raise ValueError("chat copy failed")

    recorder.on_sent = broken
    with transaction.atomic():
        delivery = delivery_enqueue(kind=recorder.kind, key="k1", payload={})
    delivery.refresh_from_db()
    assert delivery.status == "sent" and "chat copy failed" in delivery.last_error
    assert OutboundAttempt.objects.get().status == "sent"


def test_a_fan_out_is_claimed_and_sent_in_batches_each_outcome_recorded_as_it_comes(recorder):
    recorder.answers = [SendResult.ok("e1"), SendResult.failed("bad", retryable=False), SendResult.ok("e3")]
    with transaction.atomic():
        rows = deliveries_enqueue_many(
            kind=recorder.kind, items=[(f"k{i}", {"n": i}) for i in range(1, 6)], batch_size=3
        )
        assert recorder.sent == []  # nothing leaves before the change commits

    assert [s["key"] for s in recorder.sent] == ["k1", "k2", "k3", "k4", "k5"]  # two batches: 3, then 2
    statuses = dict(OutboundDelivery.objects.filter(pk__in=[r.pk for r in rows]).values_list("key", "status"))
    assert statuses == {"k1": "sent", "k2": "failed", "k3": "sent", "k4": "sent", "k5": "sent"}
    assert recorder.after == [("sent", "k1"), ("failed", "k2"), ("sent", "k3"), ("sent", "k4"), ("sent", "k5")]
    assert recorder.batches == [["k1", "k3"], ["k4", "k5"]]  # the bookkeeping once per batch, for those sent
    assert set(OutboundAttempt.objects.values_list("status", flat=True)) == {"sent", "failed"}


def test_a_row_taken_over_mid_batch_is_not_sent_by_the_batch_that_lost_it(recorder, settings):
    settings.OUTBOX_LEASE_SECONDS = 0  # every row's lease is over at once, and the batch renews after each send
    first, second = (
        OutboundDelivery.objects.create(kind=recorder.kind, key=key, next_attempt_at=timezone.now())
        for key in ("k1", "k2")
    )

    def another_worker_takes_the_second(row):
        if row.pk == first.pk:
            assert [r.pk for r in deliveries_claim(delivery_ids=[second.pk])[1]] == [second.pk]

    recorder.during_send = another_worker_takes_the_second
    batch = deliveries_send(delivery_ids=[first.pk, second.pk])

    assert [s["key"] for s in recorder.sent] == ["k1"]
    assert [o.status for o in batch.outcomes] == ["sent", "skipped"]
    second.refresh_from_db()
    assert second.status == "sending" and second.attempts == 2  # the new owner sends and records it
