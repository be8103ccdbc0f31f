"""Enqueue, claim, send, record, reconcile: the one delivery mechanism (see core/outbox/__init__.py)."""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.dispatch import task_send_on_commit
from core.outbox.enums import AttemptStatus, DeliveryStatus
from core.outbox.models import OutboundAttempt, OutboundDelivery
from core.outbox.registry import SendResult, sender_get

logger = logging.getLogger(__name__)

SENT, RETRY, FAILED, SKIPPED, CANCELLED = "sent", "retry", "failed", "skipped", "cancelled"


@dataclass(frozen=True)
class SendOutcome:
    """What `delivery_send` did: `sent`, `retry` (due again at `retry_in` seconds), `failed`
    (no attempt left, or not worth one), `cancelled` (the sender found nothing to send any
    more) or `skipped` (gone, done, or another worker holds it)."""

    status: str
    retry_in: float | None = None


def backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: OUTBOX_BACKOFF_SECONDS × 2^(n-1), at most OUTBOX_BACKOFF_MAX_SECONDS."""
    seconds = settings.OUTBOX_BACKOFF_SECONDS * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, settings.OUTBOX_BACKOFF_MAX_SECONDS))


# --- enqueue -------------------------------------------------------------------------------


def delivery_enqueue(*, kind: str, key: str, payload: dict, new: bool = False) -> OutboundDelivery:
    """Store a delivery in the caller's transaction and ask a worker to send it once that commits.

    `key` is unique: enqueueing the same message again returns the stored delivery and sends
    nothing more. Call it inside the transaction that made the change (the row must commit
    with it); a broker outage after commit loses nothing, the reconcile beat finds the row.
    `new=True`: the caller holds the lock that makes the key new (an operator's decision under
    the action's row lock), so no savepoint is taken to catch a repeat (two statements less);
    a repeat would be an IntegrityError that fails the caller's transaction.
    """
    try:
        with nullcontext() if new else transaction.atomic():
            delivery = OutboundDelivery.objects.create(
                kind=kind, key=key[:200], payload=payload, next_attempt_at=timezone.now()
            )
    except IntegrityError:
        if new:
            raise
        return OutboundDelivery.objects.get(key=key[:200])
    _send_on_commit([delivery.pk])
    return delivery


def deliveries_enqueue_many(*, kind: str, items: list[tuple[str, dict]], batch_size: int) -> list[OutboundDelivery]:
    """A fan-out: many deliveries of one kind stored in the caller's transaction in bulk INSERTs,
    handed to the workers in batches of `batch_size` once it commits (`deliveries_send`).

    The keys must be new (a fan-out computes its recipients under its own lock); a repeated key
    is an IntegrityError, not a silent merge, since the caller links its rows to these."""
    now = timezone.now()
    rows = OutboundDelivery.objects.bulk_create(
        [OutboundDelivery(kind=kind, key=key[:200], payload=payload, next_attempt_at=now) for key, payload in items],
        batch_size=1000,
    )
    _send_on_commit([row.pk for row in rows], batch_size=batch_size)
    return rows


def _send_on_commit(delivery_ids: list[int], *, batch_size: int | None = None) -> None:
    """The one hand-off to the workers: `outbox_deliveries_send_task` per batch of `batch_size`
    (OUTBOX_BATCH_SIZE), published in order once the transaction commits (at once outside one),
    off the caller's thread: a stalled broker never holds the request that made the change; the
    reconcile beat is the net if the broker stays away (core/dispatch.py)."""
    from core.tasks import outbox_deliveries_send_task

    for batch in _batches(delivery_ids, batch_size):
        task_send_on_commit(outbox_deliveries_send_task, batch)


def _batches(delivery_ids: list[int], size: int | None = None) -> list[list[int]]:
    size = max(1, size or settings.OUTBOX_BATCH_SIZE)
    return [delivery_ids[start : start + size] for start in range(0, len(delivery_ids), size)]


# --- claim ---------------------------------------------------------------------------------


def _claimable(now) -> Q:
    """Pending, or sending with a lease that ran out (its worker died)."""
    return Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.SENDING, leased_until__lt=now)


def deliveries_claim(*, delivery_ids: list[int], now=None) -> tuple[str, list[OutboundDelivery]]:
    """Take the claimable ones of `delivery_ids` for this worker: (lease token, claimed rows).

    PostgreSQL skips rows another transaction holds (`FOR UPDATE SKIP LOCKED`); SQLite has no
    row locks and serialises writers instead. On both, the claiming UPDATE re-checks the
    status in its WHERE clause, so of two workers racing for a row exactly one gets it.
    Commits before returning: nothing is sent while the claim is uncommitted.
    """
    now = now or timezone.now()
    token = uuid.uuid4().hex
    with transaction.atomic():
        candidates = OutboundDelivery.objects.filter(_claimable(now), pk__in=delivery_ids).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True))
        if not ids:
            return token, []
        # A row taken over from a dead worker: its last attempt never finished.
        OutboundAttempt.objects.filter(delivery_id__in=ids, status=AttemptStatus.SENDING).update(
            status=AttemptStatus.ABANDONED, finished_at=now, error="The lease ran out before an outcome was recorded."
        )
        OutboundDelivery.objects.filter(_claimable(now), pk__in=ids).update(
            status=DeliveryStatus.SENDING,
            lease_token=token,
            leased_until=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        claimed = list(OutboundDelivery.objects.filter(pk__in=ids, lease_token=token).order_by("pk"))
        OutboundAttempt.objects.bulk_create(
            [OutboundAttempt(delivery=row, number=row.attempts, lease_token=token, started_at=now) for row in claimed]
        )
    return token, claimed


# --- send and record -----------------------------------------------------------------------


def delivery_send(*, delivery_id: int) -> SendOutcome:
    """Claim one delivery, send it outside any transaction, record the outcome at once.

    Safe to call any number of times from any number of workers. A pending delivery asked for
    by id is sent even before its `next_attempt_at` (the caller decided it is time; the task's
    own retries are scheduled at that time); the reconcile beat only picks up due rows.
    """
    sent = deliveries_send(delivery_ids=[delivery_id])
    return sent.outcomes[0] if sent.outcomes else SendOutcome(SKIPPED)


@dataclass
class BatchOutcome:
    """What `deliveries_send` did, one outcome per claimed delivery, in the order they were sent."""

    outcomes: list[SendOutcome] = field(default_factory=list)
    retry_ids: list[int] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def retry_in(self) -> float | None:
        waits = [o.retry_in for o in self.outcomes if o.status == RETRY and o.retry_in is not None]
        return min(waits) if waits else None


def deliveries_send(*, delivery_ids: list[int]) -> BatchOutcome:
    """Claim a batch (one claim for all), send each claimed delivery outside any transaction
    through its kind's `Sender.send_many`, and record each outcome as soon as it is known.

    Round trips per delivery: the send and one recording statement when the sender says the
    outcome needs nothing else (`records_alone`, PostgreSQL); the claim, the sender's reads and
    `after_batch` are per batch. A batch that outlives a third of its lease renews it for the
    rows not sent yet (one UPDATE), so a slow batch is not taken over while it is still working.
    """
    token, claimed = deliveries_claim(delivery_ids=delivery_ids)
    batch = BatchOutcome()
    by_kind: dict[str, list[OutboundDelivery]] = {}
    for row in claimed:
        by_kind.setdefault(row.kind, []).append(row)
    with _quick_commits():
        for kind, rows in by_kind.items():
            _send_kind(kind=kind, rows=rows, token=token, batch=batch)
    return batch


def _send_kind(*, kind: str, rows: list[OutboundDelivery], token: str, batch: BatchOutcome) -> None:
    sender = sender_get(kind)
    if sender is None:
        for row in rows:
            result = SendResult.failed(f"No sender is registered for {kind!r}.", retryable=False)
            batch.outcomes.append(_record(delivery=row, token=token, result=result, sender=None))
        return
    unsent = {row.pk: row for row in rows}
    sent: list[OutboundDelivery] = []
    renewed_at = time.monotonic()
    try:
        for row, result in sender.send_many(rows):
            unsent.pop(row.pk, None)
            outcome = None
            if result.is_success and sender.records_alone(row):
                outcome = _record_sent_alone(row=row, token=token, result=result)
            if outcome is None:
                outcome = _record(delivery=row, token=token, result=result, sender=sender)
            batch.outcomes.append(outcome)
            if outcome.status == SENT:
                sent.append(row)
            elif outcome.status == RETRY:
                batch.retry_ids.append(row.pk)
            if unsent and time.monotonic() - renewed_at > settings.OUTBOX_LEASE_SECONDS / 3:
                ours = _lease_renew(token=token, delivery_ids=list(unsent))
                for pk, lost in unsent.items():
                    if pk not in ours:
                        lost.lease_token = ""  # another worker took it over: `lease_held` says no
                renewed_at = time.monotonic()
    except Exception as exc:  # the sender broke mid-batch: what it did not send is retried later
        logger.exception("outbox batch of %s (%s) raised", len(rows), kind)
        for row in unsent.values():
            result = SendResult.failed(f"{type(exc).__name__}: {exc}", retryable=True)
            batch.outcomes.append(_record(delivery=row, token=token, result=result, sender=sender))
            batch.retry_ids.append(row.pk)
    if sent:
        try:
            sender.after_batch(sent)
        except Exception:  # bookkeeping the domain's reconcile redoes: the deliveries stay sent
            logger.exception("outbox batch of %s (%s): after_batch failed", len(sent), kind)


def _lease_renew(*, token: str, delivery_ids: list[int]) -> set[int]:
    """Extend our lease on the rows not sent yet; returns those still ours."""
    ours = OutboundDelivery.objects.filter(pk__in=delivery_ids, lease_token=token, status=DeliveryStatus.SENDING)
    ours.update(leased_until=timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS))
    return set(ours.values_list("pk", flat=True))


@contextmanager
def _quick_commits():
    """PostgreSQL: the per-delivery "sent" commits don't wait for the WAL flush (synchronous_commit
    off, this session only). A committed row is visible at once, so a *worker* crash loses nothing;
    only a crash of the database server itself could forget the last fraction of a second of
    "sent" marks, and those deliveries would be sent again with the same key (at-least-once)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


_DELIVERY = OutboundDelivery._meta.db_table
_ATTEMPT = OutboundAttempt._meta.db_table
_RECORD_SENT_SQL = (
    f"WITH d AS (UPDATE {_DELIVERY} SET status = %s, sent_at = %s, updated_at = %s, external_id = %s, "  # noqa: S608
    "last_error = '', lease_token = '', leased_until = NULL, next_attempt_at = NULL "
    "WHERE id = %s AND lease_token = %s AND status = %s RETURNING id), "
    f"a AS (UPDATE {_ATTEMPT} SET status = %s, finished_at = %s, error = '' "
    "WHERE delivery_id IN (SELECT id FROM d) AND lease_token = %s) SELECT count(*) FROM d"
)


def _record_sent_alone(*, row: OutboundDelivery, token: str, result: SendResult) -> SendOutcome | None:
    """A success with nothing else to record: the delivery and its attempt in one statement (one
    round trip, its own commit). PostgreSQL only (data-modifying CTEs); None means "use `_record`"."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _RECORD_SENT_SQL,
            [
                DeliveryStatus.SENT,
                now,
                now,
                result.external_id[:200],
                row.pk,
                token,
                DeliveryStatus.SENDING,
                AttemptStatus.SENT,
                now,
                token,
            ],
        )
        (count,) = cursor.fetchone()
    if count:
        row.status, row.sent_at, row.external_id = DeliveryStatus.SENT, now, result.external_id[:200]
        return SendOutcome(SENT)
    # Our lease ran out and another worker took the row over: it records, not us.
    logger.warning("outbox delivery %s: lease lost before recording (sent)", row.pk)
    return SendOutcome(SKIPPED)


def _record(*, delivery: OutboundDelivery, token: str, result: SendResult, sender) -> SendOutcome:
    now = timezone.now()
    with transaction.atomic():
        row = (
            OutboundDelivery.objects.select_for_update()
            .filter(pk=delivery.pk, lease_token=token, status=DeliveryStatus.SENDING)
            .first()
        )
        if result.is_success:
            attempt_status = AttemptStatus.SENT
        else:
            attempt_status = AttemptStatus.CANCELLED if result.cancelled else AttemptStatus.FAILED
        OutboundAttempt.objects.filter(delivery_id=delivery.pk, lease_token=token).update(
            status=attempt_status,
            finished_at=now,
            error=result.error,
            status_code=result.status_code,
            request=result.request,
        )
        if row is None:
            # Our lease ran out and another worker took the row over: it records, not us.
            logger.warning("outbox delivery %s: lease lost before recording (%s)", delivery.pk, attempt_status)
            return SendOutcome(SKIPPED)
        row.lease_token = ""
        row.leased_until = None
        row.last_error = result.error
        allowed = sender.attempts_allowed() if sender is not None else 1
        if result.is_success:
            row.status = DeliveryStatus.SENT
            row.sent_at = now
            row.external_id = result.external_id[:200]
            row.next_attempt_at = None
            outcome = SendOutcome(SENT)
        elif result.cancelled:
            row.status = DeliveryStatus.CANCELLED
            row.next_attempt_at = None
            outcome = SendOutcome(CANCELLED)
        elif result.retryable and row.attempts < allowed:
            row.status = DeliveryStatus.PENDING
            row.next_attempt_at = now + backoff(row.attempts)
            outcome = SendOutcome(RETRY, retry_in=(row.next_attempt_at - now).total_seconds())
        else:
            row.status = DeliveryStatus.FAILED
            row.next_attempt_at = None
            outcome = SendOutcome(FAILED)
            logger.warning("outbox delivery %s (%s) gave up: %s", row.pk, row.kind, result.error)
        row.save()
        if sender is not None and outcome.status in (SENT, FAILED):
            _after(sender.on_sent if outcome.status == SENT else sender.on_failed, row, result)
    return outcome


def _after(hook, row: OutboundDelivery, result: SendResult) -> None:
    """The sender's bookkeeping, in a savepoint: if it breaks, the outcome is still recorded (a
    message that left must never be sent again because its chat copy could not be stored)."""
    try:
        with transaction.atomic():
            hook(row, result)
    except Exception as exc:
        logger.exception("outbox delivery %s (%s): %s failed", row.pk, row.kind, hook.__name__)
        OutboundDelivery.objects.filter(pk=row.pk).update(
            last_error=f"Recorded, but {hook.__name__} failed: {type(exc).__name__}: {exc}"[:2000]
        )


# --- operators and maintenance --------------------------------------------------------------


def deliveries_due(*, grace_seconds: int = 30, limit: int = 1000, kind: str = "") -> list[int]:
    """Deliveries nobody is working on: pending and due for `grace_seconds` (their task was lost,
    or their retry is due), or sending with a lease that ran out (their worker died)."""
    now = timezone.now()
    rows = OutboundDelivery.objects.filter(
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - timedelta(seconds=grace_seconds))
        | Q(status=DeliveryStatus.SENDING, leased_until__lt=now)
    )
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])


def deliveries_reconcile(*, grace_seconds: int = 30, inline: bool = False) -> dict[str, int]:
    """The beat (and `manage.py outbox_reconcile`): every due delivery goes back to the workers in
    batches of OUTBOX_BATCH_SIZE, or, `inline`, is sent here and now."""
    due = deliveries_due(grace_seconds=grace_seconds, limit=50_000)
    counts = {"due": len(due), SENT: 0, RETRY: 0, FAILED: 0, SKIPPED: 0, CANCELLED: 0}
    if not inline:
        _send_on_commit(due)
        return counts
    for batch in _batches(due):
        sent = deliveries_send(delivery_ids=batch)
        for outcome in sent.outcomes:
            counts[outcome.status] += 1
        counts[SKIPPED] += len(batch) - len(sent.outcomes)
    return counts


@transaction.atomic
def deliveries_resend(*, delivery_ids: list[int]) -> int:
    """Operators: send again, with a fresh set of attempts. Failed and cancelled deliveries always;
    sent ones when their kind allows it (`Sender.resend_sent`); never one in flight."""
    resendable = [DeliveryStatus.FAILED, DeliveryStatus.CANCELLED, DeliveryStatus.SENT]
    count = 0
    rows = OutboundDelivery.objects.select_for_update().filter(pk__in=delivery_ids, status__in=resendable)
    for row in rows.order_by("pk"):
        sender = sender_get(row.kind)
        if row.status == DeliveryStatus.SENT and not getattr(sender, "resend_sent", False):
            continue
        row.status = DeliveryStatus.PENDING
        row.attempts = 0
        row.next_attempt_at = timezone.now()
        row.last_error = ""
        row.save(update_fields=["status", "attempts", "next_attempt_at", "last_error", "updated_at"])
        _send_on_commit([row.pk])
        count += 1
    return count


def deliveries_cancel(*, delivery_ids: list[int], reason: str) -> int:
    """Deliveries not claimed yet are not sent after all (a claimed one is mid-send and finishes)."""
    return OutboundDelivery.objects.filter(pk__in=delivery_ids, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, last_error=reason[:2000], next_attempt_at=None, updated_at=timezone.now()
    )
