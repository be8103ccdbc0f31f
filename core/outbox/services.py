"""Enqueue, claim, send, record, reconcile: the one delivery mechanism (see core/outbox/__init__.py)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
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


def delivery_enqueue(*, kind: str, key: str, payload: dict) -> OutboundDelivery:
    """Store a delivery in the caller's transaction and ask a worker to send it once that commits.

    `key` is unique: enqueueing the same message again returns the stored delivery and sends
    nothing more. Call it inside the transaction that made the change (the row must commit
    with it); a broker outage after commit loses nothing, the reconcile beat finds the row.
    """
    try:
        with transaction.atomic():
            delivery = OutboundDelivery.objects.create(
                kind=kind, key=key[:200], payload=payload, next_attempt_at=timezone.now()
            )
    except IntegrityError:
        return OutboundDelivery.objects.get(key=key[:200])
    _send_on_commit(delivery.pk)
    return delivery


def _send_on_commit(delivery_id: int) -> None:
    from core.tasks import outbox_delivery_send_task

    # Published off the caller's thread: a stalled broker never holds the request that made the
    # change; the reconcile beat is the net if the broker stays away.
    task_send_on_commit(outbox_delivery_send_task, delivery_id)


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
    token, claimed = deliveries_claim(delivery_ids=[delivery_id])
    if not claimed:
        return SendOutcome(SKIPPED)
    delivery = claimed[0]
    sender = sender_get(delivery.kind)
    if sender is None:
        result = SendResult.failed(f"No sender is registered for {delivery.kind!r}.", retryable=False)
    else:
        try:
            result = sender.send(delivery)
        except Exception as exc:  # a bug in a sender must not lose the message: record, retry later
            logger.exception("outbox delivery %s (%s) raised", delivery.pk, delivery.kind)
            result = SendResult.failed(f"{type(exc).__name__}: {exc}", retryable=True)
    return _record(delivery=delivery, token=token, result=result, sender=sender)


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
    """The beat (and `manage.py outbox_reconcile`): every due delivery goes back to the workers,
    or, `inline`, is sent here and now."""
    due = deliveries_due(grace_seconds=grace_seconds)
    counts = {"due": len(due), SENT: 0, RETRY: 0, FAILED: 0, SKIPPED: 0, CANCELLED: 0}
    if not inline:
        from core.tasks import outbox_delivery_send_task

        for delivery_id in due:
            outbox_delivery_send_task.delay(delivery_id)
        return counts
    for delivery_id in due:
        counts[delivery_send(delivery_id=delivery_id).status] += 1
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
        _send_on_commit(row.pk)
        count += 1
    return count


def deliveries_cancel(*, delivery_ids: list[int], reason: str) -> int:
    """Deliveries not claimed yet are not sent after all (a claimed one is mid-send and finishes)."""
    return OutboundDelivery.objects.filter(pk__in=delivery_ids, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, last_error=reason[:2000], next_attempt_at=None, updated_at=timezone.now()
    )
