"""Sending notices exactly once per subscriber and restock.

The ordering that makes it hold (see also README "Back-in-stock alerts"):

1. One row per (subscription, restock_key): `AlertNotice`'s unique constraint. A wave computed
   twice, a stock update delivered twice or two racing restocks insert nothing new.
2. Claim, commit, then send. `alert_notices_claim` locks the batch's notices with
   `SELECT … FOR UPDATE SKIP LOCKED`, keeps those `pending` (or `sending` with a claim older
   than ALERTS_CLAIM_LEASE_SECONDS: their worker died), locks their subscriptions and cancels
   the notice when the subscriber is no longer active, or already has another notice sent or
   being sent (a second round can never tell someone twice). The rest become `sending` with a
   fresh claim token, and that commits before anything is sent. Two workers can therefore never
   hold the same notice; a worker that outlives its lease renews it (`_lease_renew`) and drops
   any notice another worker has taken over.
3. Send one message, then at once record it: `UPDATE … SET status='sent' WHERE id=… AND
   claim_token=…` in its own short transaction (with the conversation message and its
   `checkout_now` button when the subscriber has a conversation). Nothing is sent inside an
   open transaction.

What a crash costs: a worker killed before step 3 leaves its notices `sending`; after the lease
another worker (the redelivered task, or the reconcile beat) takes them over and sends them.
A message the backend had already accepted when the worker died — the gap between the
backend's "ok" and the recording UPDATE, well under a millisecond — is sent a second time:
at the SMTP/WhatsApp edge this is at-least-once, deduplicated everywhere we control by the
notice row, and the repeat carries the same Message-ID / idempotency key (`alert-<notice
id>`), which lets a receiving system drop it. Recording before sending would instead lose
messages (at-most-once); for an alert someone asked for, a rare repeat is the lesser evil.
Recording per message (not per batch) keeps that window to one message per crash.
"""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from alerts.delivery import UNSUBSCRIBE_PLACEHOLDER, AlertMessage, Sender, render
from alerts.enums import AlertChannel, NoticeStatus, SubscriptionStatus
from alerts.error_codes import AlertErrorCode
from alerts.exceptions import AlertError
from alerts.models import AlertNotice, BackInStockSubscription
from alerts.tokens import unsubscribe_url
from analytics.enums import EventName
from analytics.selectors import event_ids_recorded
from analytics.services import ServerEvent, events_record_many

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


class AlertDeliveryRetryable(AlertError):
    """Some notices of a batch failed in a way worth another try (timeouts, 5xx)."""

    code = AlertErrorCode.ALERT_DELIVERY_RETRYABLE


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retry: int = 0
    cancelled: int = 0
    lost_claims: int = 0
    sent_ids: list[int] = field(default_factory=list)


# --- claim ------------------------------------------------------------------------------


@transaction.atomic
def alert_notices_claim(*, notice_ids: list[int]) -> tuple[str, list[int], int]:
    """Take the batch's claimable notices: (claim token, claimed ids, cancelled count)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.ALERTS_CLAIM_LEASE_SECONDS)
    rows = list(
        AlertNotice.objects.select_for_update(skip_locked=True)
        .filter(id__in=notice_ids)
        .filter(Q(status=NoticeStatus.PENDING) | Q(status=NoticeStatus.SENDING, claimed_at__lt=stale))
        .order_by("id")
        .values_list("id", "subscription_id")
    )
    if not rows:
        return "", [], 0
    row_ids = [notice_id for notice_id, _ in rows]
    subscription_ids = sorted({sub_id for _, sub_id in rows})
    statuses = dict(
        BackInStockSubscription.objects.select_for_update()
        .filter(id__in=subscription_ids)
        .order_by("id")
        .values_list("id", "status")
    )
    told_or_telling = set(
        AlertNotice.objects.filter(
            subscription_id__in=subscription_ids, status__in=(NoticeStatus.SENT, NoticeStatus.SENDING)
        )
        .exclude(id__in=row_ids)
        .values_list("subscription_id", flat=True)
    )
    claimed: list[int] = []
    cancel: dict[str, list[int]] = {}
    seen: set[str] = set()
    for notice_id, sub_id in rows:
        status = statuses.get(sub_id)
        if status != SubscriptionStatus.ACTIVE:
            reason = {
                SubscriptionStatus.UNSUBSCRIBED: "The subscriber unsubscribed.",
                SubscriptionStatus.NOTIFIED: "The subscriber was already told.",
                SubscriptionStatus.PENDING: "The subscription is not confirmed.",
            }.get(status, "The subscription is gone.")
            cancel.setdefault(reason, []).append(notice_id)
        elif sub_id in told_or_telling or sub_id in seen:
            cancel.setdefault("Another notice to this subscriber was sent or is being sent.", []).append(notice_id)
        else:
            claimed.append(notice_id)
            seen.add(sub_id)
    token = uuid.uuid4().hex
    if claimed:
        AlertNotice.objects.filter(id__in=claimed).update(
            status=NoticeStatus.SENDING,
            claim_token=token,
            claimed_at=now,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    for reason, ids in cancel.items():
        AlertNotice.objects.filter(id__in=ids).update(status=NoticeStatus.CANCELLED, error=reason, updated_at=now)
    return token, claimed, sum(len(ids) for ids in cancel.values())


def _lease_renew(*, token: str, notice_ids: list[int]) -> set[int]:
    """Keep our claim on the notices not sent yet; returns those that are still ours."""
    if not notice_ids:
        return set()
    now = timezone.now()
    AlertNotice.objects.filter(id__in=notice_ids, claim_token=token, status=NoticeStatus.SENDING).update(claimed_at=now)
    return set(
        AlertNotice.objects.filter(id__in=notice_ids, claim_token=token, status=NoticeStatus.SENDING).values_list(
            "id", flat=True
        )
    )


# --- content ----------------------------------------------------------------------------


class _Content:
    """Renders a part's notice once per batch; only the unsubscribe link differs per subscriber."""

    def __init__(self):
        self._cache: dict[tuple, tuple[str, str, str]] = {}

    def message(self, notice: AlertNotice) -> AlertMessage:
        subscription = notice.subscription
        product = subscription.product
        key = (product.pk, subscription.channel)
        if key not in self._cache:
            self._cache[key] = render("notice", _notice_context(product, unsubscribe=UNSUBSCRIBE_PLACEHOLDER))
        subject, text, html = self._cache[key]
        return AlertMessage(
            channel=subscription.channel,
            to=subscription.contact,
            subject=subject,
            text=text,
            html=html if subscription.channel == AlertChannel.EMAIL else "",
            unsubscribe_url=unsubscribe_url(subscription.id),
            idempotency_key=f"alert-{notice.pk}",
            conversation_id=subscription.conversation_id or "",
        )


def _notice_context(product, *, unsubscribe: str) -> dict:
    from catalog.serializers import product_card

    return {
        "shop_name": settings.PARLEY_SHOP_NAME,
        "shop_url": settings.PARLEY_PUBLIC_URL.rstrip("/") + "/",
        "product": product,
        "card": product_card(product),
        "unsubscribe_url": unsubscribe,
    }


def notice_chat_text(product) -> str:
    return (
        f"Good news: {product.name} ({product.ps_number}) is back in stock at "
        f"{product.price:.2f} {product.currency}. Stock is limited, so order now if you still need it."
    )


# --- record -----------------------------------------------------------------------------


_RECORD_SENT_SQL = (
    f"UPDATE {AlertNotice._meta.db_table} SET status = %s, sent_at = %s, updated_at = %s, external_id = %s, "  # noqa: S608
    "error = '' WHERE id = %s AND claim_token = %s AND status = %s"
)


def _record_sent(*, notice: AlertNotice, token: str, external_id: str) -> bool:
    """One statement, one commit, straight after the send (the hot path of a fan-out: plain SQL)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _RECORD_SENT_SQL,
            [NoticeStatus.SENT, now, now, external_id[:200], notice.pk, token, NoticeStatus.SENDING],
        )
        return cursor.rowcount == 1


def _record_sent_many(*, token: str, rows: list[tuple[AlertNotice, str, object]]) -> set[int]:
    """PostgreSQL, ALERTS_RECORD_EVERY > 1: several sent notices recorded in one statement."""
    values = ", ".join(["(%s, %s::timestamptz, %s)"] * len(rows))
    params: list = []
    for notice, external_id, sent_at in rows:
        params += [notice.pk, sent_at, external_id[:200]]
    table = AlertNotice._meta.db_table
    sql = (
        f"UPDATE {table} AS n SET status = %s, sent_at = v.sent_at, updated_at = v.sent_at, "  # noqa: S608
        f"external_id = v.external_id, error = '' FROM (VALUES {values}) AS v(id, sent_at, external_id) "
        "WHERE n.id = v.id AND n.claim_token = %s AND n.status = %s RETURNING n.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [NoticeStatus.SENT, *params, token, NoticeStatus.SENDING])
        return {row[0] for row in cursor.fetchall()}


@transaction.atomic
def _record_sent_with_conversation(*, notice: AlertNotice, token: str, external_id: str) -> bool:
    """Mark sent and store the assistant message with its checkout_now button, in one transaction;
    the `alert.notified` push goes out when it commits."""
    locked = (
        AlertNotice.objects.select_for_update()
        .filter(pk=notice.pk, claim_token=token, status=NoticeStatus.SENDING)
        .first()
    )
    if locked is None:
        return False
    message, action = _conversation_message(notice=notice)
    now = timezone.now()
    locked.status = NoticeStatus.SENT
    locked.sent_at = now
    locked.external_id = (external_id or (message.id if message else ""))[:200]
    locked.error = ""
    locked.message = message
    locked.action = action
    locked.save(update_fields=["status", "sent_at", "external_id", "error", "message", "action", "updated_at"])
    BackInStockSubscription.objects.filter(pk=notice.subscription_id, status=SubscriptionStatus.ACTIVE).update(
        status=SubscriptionStatus.NOTIFIED, notified_at=now, updated_at=now
    )
    return True


def _conversation_message(*, notice: AlertNotice):
    """The assistant message of type alert_notified and its checkout_now button (through the action
    rules, so a part that is out of stock again, or does not fit the conversation's model, gets none)."""
    from actions.enums import ActionTypeName
    from actions.services.selection import ActionProposal, actions_render_for_message, actions_select
    from actions.types import Prerequisites
    from catalog.serializers import product_card
    from conversations.enums import MessageType, Role
    from conversations.services.messages import conversation_message_create, message_push

    subscription = notice.subscription
    conversation = subscription.conversation
    product = subscription.product
    if conversation is None:
        return None, None
    context = conversation.context or {}
    message = conversation_message_create(
        conversation=conversation,
        role=Role.ASSISTANT,
        message_type=MessageType.ALERT_NOTIFIED,
        content=notice_chat_text(product),
        parts=[product_card(product)],
        metadata={
            "alert_notice_id": notice.pk,
            "restock_key": notice.restock_key,
            "subscription_id": subscription.id,
        },
        push=False,
    )
    selected = actions_select(
        proposals=[
            ActionProposal(type=ActionTypeName.CHECKOUT_NOW, payload={"psNumber": product.ps_number, "quantity": 1})
        ],
        known=Prerequisites(model_number=str(context.get("modelNumber") or ""), conversation_id=conversation.id),
    )
    actions = actions_render_for_message(
        conversation=conversation, message=message, selected=selected, intent="alert_notified"
    )
    message_push(
        message=message,
        event_type="alert.notified",
        extra={"notice": {"id": notice.pk, "restock_key": notice.restock_key, "psNumber": product.ps_number}},
    )
    return message, (actions[0] if actions else None)


def _record_failure(*, notice: AlertNotice, token: str, error: str, retryable: bool) -> str:
    final = not retryable or notice.attempts >= MAX_ATTEMPTS
    status = NoticeStatus.FAILED if final else NoticeStatus.PENDING
    AlertNotice.objects.filter(pk=notice.pk, claim_token=token, status=NoticeStatus.SENDING).update(
        status=status, error=error[:2000], claim_token="", claimed_at=None, updated_at=timezone.now()
    )
    return status


# --- the batch --------------------------------------------------------------------------


def alert_notices_send(*, notice_ids: list[int]) -> BatchResult:
    """Claim the batch, send each claimed notice and record it at once (module docstring)."""
    token, claimed, cancelled = alert_notices_claim(notice_ids=notice_ids)
    result = BatchResult(claimed=len(claimed), cancelled=cancelled)
    if not claimed:
        return result
    notices = list(
        AlertNotice.objects.filter(id__in=claimed, claim_token=token)
        .select_related("subscription__product", "subscription__conversation")
        .order_by("subscription__created_at", "id")
    )
    lease = settings.ALERTS_CLAIM_LEASE_SECONDS
    renewed_at = time.monotonic()
    ours = {notice.pk for notice in notices}
    content = _Content()
    telemetry: list[AlertNotice] = []
    plain_sent_subscriptions: list[str] = []
    record_every = max(1, settings.ALERTS_RECORD_EVERY)
    unrecorded: list[tuple[AlertNotice, str, object]] = []

    def done(notice: AlertNotice) -> None:
        result.sent += 1
        result.sent_ids.append(notice.pk)
        telemetry.append(notice)
        if notice.subscription.conversation_id is None:
            plain_sent_subscriptions.append(notice.subscription_id)

    def flush() -> None:
        if not unrecorded:
            return
        recorded = _record_sent_many(token=token, rows=unrecorded)
        for notice, _, _ in unrecorded:
            if notice.pk in recorded:
                done(notice)
            else:
                result.lost_claims += 1
        unrecorded.clear()

    with Sender() as sender, _quick_commits():
        for index, notice in enumerate(notices):
            if time.monotonic() - renewed_at > lease / 3:
                ours = _lease_renew(token=token, notice_ids=[n.pk for n in notices[index:]])
                renewed_at = time.monotonic()
            if notice.pk not in ours:
                result.lost_claims += 1
                continue
            subscription = notice.subscription
            try:
                message = content.message(notice)
            except Exception as exc:  # a template error is ours to fix, not a reason to lose the batch
                logger.exception("alert notice %s could not be rendered", notice.pk)
                _record_failure(notice=notice, token=token, error=f"Rendering failed: {exc!r}", retryable=False)
                result.failed += 1
                continue
            delivery = sender.send(message)
            if not delivery.is_success:
                status = _record_failure(notice=notice, token=token, error=delivery.error, retryable=delivery.retryable)
                if status == NoticeStatus.PENDING:
                    result.retry += 1
                else:
                    result.failed += 1
                continue
            if subscription.conversation_id is None and record_every > 1 and connection.vendor == "postgresql":
                unrecorded.append((notice, delivery.external_id, timezone.now()))
                if len(unrecorded) >= record_every:
                    flush()
                continue
            flush()
            if _record_delivered(notice=notice, token=token, external_id=delivery.external_id):
                done(notice)
            else:
                result.lost_claims += 1
        flush()
    _subscriptions_mark_notified(subscription_ids=plain_sent_subscriptions)
    _telemetry_record(notices=telemetry)
    return result


@contextmanager
def _quick_commits():
    """PostgreSQL: the per-message "sent" commits don't wait for the WAL flush (synchronous_commit
    off, this session only). A committed row is visible at once, so a *worker* crash loses nothing;
    only a crash of the database server itself could forget the last fraction of a second of
    "sent" marks, and those notices would be sent again (at-least-once, as above)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _record_delivered(*, notice: AlertNotice, token: str, external_id: str) -> bool:
    if notice.subscription.conversation_id is None:
        return _record_sent(notice=notice, token=token, external_id=external_id)
    try:
        return _record_sent_with_conversation(notice=notice, token=token, external_id=external_id)
    except Exception:
        if notice.channel == AlertChannel.WEB:
            raise
        # The email / WhatsApp message is out: record that, even if the chat copy could not be stored.
        logger.exception("alert notice %s: the conversation copy failed; recording the delivery", notice.pk)
        if _record_sent(notice=notice, token=token, external_id=external_id):
            _subscriptions_mark_notified(subscription_ids=[notice.subscription_id])
            return True
        return False


def _subscriptions_mark_notified(*, subscription_ids: list[str]) -> None:
    if subscription_ids:
        now = timezone.now()
        BackInStockSubscription.objects.filter(id__in=subscription_ids, status=SubscriptionStatus.ACTIVE).update(
            status=SubscriptionStatus.NOTIFIED, notified_at=now, updated_at=now
        )


def _telemetry_record(*, notices: list[AlertNotice]) -> None:
    """`alert_notified`, one event per notice, keyed by the notice (a re-run adds nothing), written
    by analytics in one INSERT per batch: at thousands of notices a row-per-call would dominate."""
    now = timezone.now()
    events_record_many(
        events=[
            ServerEvent(
                event_id=f"alert_notified:{notice.pk}",
                name=EventName.ALERT_NOTIFIED,
                occurred_at=notice.sent_at or now,
                conversation_id=notice.subscription.conversation_id or "",
                ps_number=notice.subscription.product.ps_number,
                properties={
                    "channel": notice.channel,
                    "notice_id": notice.pk,
                    "subscription_id": notice.subscription_id,
                    "restock_key": notice.restock_key,
                },
            )
            for notice in notices
        ]
    )


# --- operators and maintenance ------------------------------------------------------------


@transaction.atomic
def alert_notices_notify_now(*, subscriptions) -> tuple[int, int]:
    """Admin "notify now": a notice each for the active subscriptions whose part is in stock.

    Returns (queued, skipped). The key is unique per call, so pressing it again is a new notice,
    but never for someone already told (they are no longer active) or being told.
    """
    key = f"manual:{timezone.now():%Y%m%dT%H%M%S}:{uuid.uuid4().hex[:8]}"
    queued: list[AlertNotice] = []
    skipped = 0
    for subscription in subscriptions.select_related("product"):
        busy = subscription.notices.filter(status__in=(NoticeStatus.PENDING, NoticeStatus.SENDING)).exists()
        if subscription.status != SubscriptionStatus.ACTIVE or not subscription.product.in_stock or busy:
            skipped += 1
            continue
        queued.append(AlertNotice(subscription=subscription, restock_key=key, channel=subscription.channel))
    created = AlertNotice.objects.bulk_create(queued)
    from alerts.services.rounds import notices_enqueue_on_commit

    notices_enqueue_on_commit(notice_ids=[notice.pk for notice in created])
    return len(created), skipped


def alert_notices_resend(*, since=None, notices=None, include_cancelled: bool = False) -> tuple[int, int]:
    """Failed notices (changed since `since`, or the given queryset) go back to pending and to the
    workers, when their subscriber is still waiting and the part is in stock. Returns (queued, skipped)."""
    statuses = [NoticeStatus.FAILED] + ([NoticeStatus.CANCELLED] if include_cancelled else [])
    candidates = notices if notices is not None else AlertNotice.objects.all()
    candidates = candidates.filter(status__in=statuses)
    if since is not None:
        candidates = candidates.filter(updated_at__gte=since)
    queued: list[int] = []
    skipped = 0
    with transaction.atomic():
        rows = candidates.select_for_update(of=("self",)).select_related("subscription__product").order_by("id")
        for notice in rows:
            subscription = notice.subscription
            busy = (
                subscription.notices.exclude(pk=notice.pk)
                .filter(status__in=(NoticeStatus.PENDING, NoticeStatus.SENDING, NoticeStatus.SENT))
                .exists()
            )
            if subscription.status != SubscriptionStatus.ACTIVE or not subscription.product.in_stock or busy:
                skipped += 1
                continue
            queued.append(notice.pk)
        AlertNotice.objects.filter(id__in=queued).update(
            status=NoticeStatus.PENDING, claim_token="", claimed_at=None, attempts=0, updated_at=timezone.now()
        )
        from alerts.services.rounds import notices_enqueue_on_commit

        notices_enqueue_on_commit(notice_ids=queued)
    return len(queued), skipped


def alerts_reconcile(*, grace_seconds: int = 60) -> dict:
    """Beat (and `manage.py alerts_reconcile`): due waves run; pending notices nobody is working on
    and claims whose lease ran out go back to the workers; subscribers told but not marked are marked."""
    from alerts.services.rounds import notices_enqueue_on_commit, restock_rounds_due_advance

    now = timezone.now()
    waves = restock_rounds_due_advance()
    stale = now - timedelta(seconds=settings.ALERTS_CLAIM_LEASE_SECONDS)
    orphans = list(
        AlertNotice.objects.filter(
            Q(status=NoticeStatus.PENDING, updated_at__lt=now - timedelta(seconds=grace_seconds))
            | Q(status=NoticeStatus.SENDING, claimed_at__lt=stale)
        )
        .order_by("id")
        .values_list("id", flat=True)[:50_000]
    )
    with transaction.atomic():
        notices_enqueue_on_commit(notice_ids=orphans)
    telemetry = _telemetry_backfill(since=now - timedelta(hours=1))
    told = BackInStockSubscription.objects.filter(
        status=SubscriptionStatus.ACTIVE, notices__status=NoticeStatus.SENT
    ).values_list("id", flat=True)
    marked = BackInStockSubscription.objects.filter(id__in=list(told)).update(
        status=SubscriptionStatus.NOTIFIED, notified_at=now, updated_at=now
    )
    return {"waves": waves, "requeued": len(orphans), "marked_notified": marked, "telemetry_backfilled": telemetry}


def _telemetry_backfill(*, since) -> int:
    """`alert_notified` for notices sent by a worker that died before its batch wrote the events."""

    sent = list(
        AlertNotice.objects.filter(status=NoticeStatus.SENT, sent_at__gte=since)
        .select_related("subscription__product")
        .order_by("id")[:50_000]
    )
    if not sent:
        return 0
    recorded = event_ids_recorded(event_ids=[f"alert_notified:{n.pk}" for n in sent])
    missing = [notice for notice in sent if f"alert_notified:{notice.pk}" not in recorded]
    _telemetry_record(notices=missing)
    return len(missing)
