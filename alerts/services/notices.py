"""Back-in-stock notices: what a notice says, to whom, and when it is not to be sent after all.

Sending is the outbox's (`core.outbox`, kind `alerts.notice`; see README "Back-in-stock
alerts"), in batches (`deliveries_send`):

1. One notice per (subscription, restock_key): `AlertNotice`'s unique constraint. A round's wave
   (alerts/services/rounds.py) or the admin's "notify now" creates the notices and their
   deliveries in bulk in the transaction that picks the subscribers (`notices_create`); they
   are handed to the workers in batches of ALERTS_BATCH_SIZE once it commits.
2. The outbox claims a batch (`FOR UPDATE SKIP LOCKED`, a lease), commits, then asks
   `NoticeSender.send_many` for it: one query reads the batch's notices and subscriptions, one
   finds subscribers told or being told by another notice; a subscriber who is no longer
   active, or is told elsewhere, gets nothing (the delivery ends `cancelled` with the reason).
   The rest are sent one by one over one email connection, each part's message rendered once.
3. Each outcome is recorded as soon as it is known. A plain email / WhatsApp / SMS notice is
   recorded in one statement (`records_alone`); after the batch, its subscribers are marked
   notified and the `alert_notified` events written in bulk (`after_batch`; the reconcile beat
   redoes both if a worker died first). A notice to a subscriber with a conversation stores the
   chat message and its `checkout_now` button in the recording transaction (`on_sent`).

The delivery's key (`alert-<subscription>.<restock key>`) is the email's Message-ID and
`X-Parley-Notice` and the WhatsApp idempotency key, so a repeat after a crash (the outbox's
at-least-once edge) can be recognised by the receiver.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alerts.delivery import UNSUBSCRIBE_PLACEHOLDER, AlertMessage, Sender, render
from alerts.enums import AlertChannel, SubscriptionStatus
from alerts.models import AlertNotice, BackInStockSubscription
from alerts.tokens import unsubscribe_url
from analytics.enums import EventName
from analytics.selectors import event_ids_recorded
from analytics.services import ServerEvent, events_record_many
from core.money import money_display
from core.outbox import registry as outbox
from core.outbox.enums import DeliveryStatus
from core.outbox.models import OutboundDelivery
from core.outbox.services import deliveries_enqueue_many, deliveries_resend

logger = logging.getLogger(__name__)

# A notice's copy in the subscriber's conversation (the assistant message and its checkout_now
# button) is conversations' to write, an app above this one: it registers the writer from its
# AppConfig.ready(). `writer(notice=)` returns (message, action), each possibly None.
_chat_copy_writer: Callable[..., tuple] | None = None


def notice_chat_copy_register(writer: Callable[..., tuple]) -> None:
    global _chat_copy_writer
    _chat_copy_writer = writer


NOTICE = "alerts.notice"
IN_FLIGHT = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)

_NOT_ACTIVE = {
    SubscriptionStatus.UNSUBSCRIBED: "The subscriber unsubscribed.",
    SubscriptionStatus.NOTIFIED: "The subscriber was already told.",
    SubscriptionStatus.PENDING: "The subscription is not confirmed.",
}


def notice_key(*, subscription_id: str, restock_key: str) -> str:
    """The delivery's key: unique per notice, and usable as an email Message-ID's left part."""
    return f"alert-{subscription_id}.{restock_key.replace(':', '.')}"


def notices_create(*, subscriptions: list[tuple[str, str, bool]], restock_key: str, round_id=None) -> list[AlertNotice]:
    """In the caller's transaction: a notice and its outbox delivery for each (subscription id,
    channel, has a conversation), two bulk INSERTs; sent in batches once the transaction commits.
    The caller picks subscribers without a notice for `restock_key` (a repeat is an IntegrityError)."""
    deliveries = deliveries_enqueue_many(
        kind=NOTICE,
        items=[
            (notice_key(subscription_id=sub_id, restock_key=restock_key), {"subscription_id": sub_id, "chat": chat})
            for sub_id, _, chat in subscriptions
        ],
        batch_size=settings.ALERTS_BATCH_SIZE,
    )
    return AlertNotice.objects.bulk_create(
        [
            AlertNotice(subscription_id=sub_id, restock_key=restock_key, round_id=round_id, channel=channel, delivery=d)
            for (sub_id, channel, _), d in zip(subscriptions, deliveries, strict=True)
        ],
        batch_size=1000,
    )


# --- sending (the outbox's sender for `alerts.notice`) ------------------------------------


class NoticeSender(outbox.Sender):
    """What to send for a notice, and whether to send it at all (module docstring)."""

    kind = NOTICE
    max_attempts = 5

    def records_alone(self, delivery: OutboundDelivery) -> bool:
        return not delivery.payload.get("chat")

    def send(self, delivery: OutboundDelivery) -> outbox.SendResult:
        ((_, result),) = self.send_many([delivery])
        return result

    def send_many(self, deliveries):
        ids = [delivery.pk for delivery in deliveries]
        notices = {
            notice.delivery_id: notice
            for notice in AlertNotice.objects.filter(delivery_id__in=ids).select_related(
                "subscription__product", "subscription__conversation"
            )
        }
        told_elsewhere = set(
            AlertNotice.objects.filter(
                subscription_id__in={notice.subscription_id for notice in notices.values()},
                delivery__status__in=(DeliveryStatus.SENT, DeliveryStatus.SENDING),
            )
            .exclude(delivery_id__in=ids)
            .values_list("subscription_id", flat=True)
        )
        content = _Content()
        with Sender() as channel:
            for delivery in deliveries:
                if not outbox.lease_held(delivery):
                    yield delivery, outbox.LEASE_LOST
                    continue
                notice = notices.get(delivery.pk)
                if notice is None:
                    yield delivery, outbox.SendResult.nothing_to_send("The notice is gone.")
                    continue
                subscription = notice.subscription
                if subscription.status != SubscriptionStatus.ACTIVE:
                    reason = _NOT_ACTIVE.get(subscription.status, "The subscription is gone.")
                    yield delivery, outbox.SendResult.nothing_to_send(reason)
                    continue
                if subscription.id in told_elsewhere:
                    reason = "Another notice to this subscriber was sent or is being sent."
                    yield delivery, outbox.SendResult.nothing_to_send(reason)
                    continue
                told_elsewhere.add(subscription.id)  # a second notice to them in this batch waits its turn
                try:
                    message = content.message(notice, delivery_key=delivery.key)
                except Exception as exc:  # a template error is ours to fix, not a reason to lose the batch
                    logger.exception("alert notice %s could not be rendered", notice.pk)
                    yield delivery, outbox.SendResult.failed(f"Rendering failed: {exc!r}", retryable=False)
                    continue
                yield delivery, channel.send(message)

    def on_sent(self, delivery: OutboundDelivery, result: outbox.SendResult) -> None:
        """A subscriber with a conversation: the chat message and its checkout_now button, stored
        with the outcome (the `alert.notified` push goes out when it commits)."""
        notice = (
            AlertNotice.objects.select_related("subscription__product", "subscription__conversation")
            .filter(delivery_id=delivery.pk)
            .first()
        )
        if notice is None:
            return
        message, action = _chat_copy_writer(notice=notice) if _chat_copy_writer is not None else (None, None)
        notice.message, notice.action = message, action
        notice.save(update_fields=["message", "action", "updated_at"])
        _subscriptions_mark_notified(subscription_ids=[notice.subscription_id])

    def after_batch(self, sent: list[OutboundDelivery]) -> None:
        """Subscribers told are marked notified; `alert_notified` written, one INSERT for the batch."""
        notices = list(
            AlertNotice.objects.filter(delivery_id__in=[delivery.pk for delivery in sent]).select_related(
                "subscription__product", "delivery"
            )
        )
        _subscriptions_mark_notified(subscription_ids=[notice.subscription_id for notice in notices])
        _telemetry_record(notices=notices)


# --- content ----------------------------------------------------------------------------


class _Content:
    """Renders a part's notice once per batch; only the unsubscribe link differs per subscriber."""

    def __init__(self):
        self._cache: dict[tuple, tuple[str, str, str]] = {}

    def message(self, notice: AlertNotice, *, delivery_key: str) -> AlertMessage:
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
            idempotency_key=delivery_key,
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
        f"{money_display(product.price, product.currency)}. Stock is limited, so order now if you still need it."
    )


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
                occurred_at=notice.delivery.sent_at or now,
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
    picked: list[tuple[str, str, bool]] = []
    skipped = 0
    for subscription in subscriptions.select_related("product"):
        busy = subscription.notices.filter(delivery__status__in=IN_FLIGHT).exists()
        if subscription.status != SubscriptionStatus.ACTIVE or not subscription.product.in_stock or busy:
            skipped += 1
            continue
        picked.append((subscription.id, subscription.channel, subscription.conversation_id is not None))
    created = notices_create(subscriptions=picked, restock_key=key)
    return len(created), skipped


def alert_notices_resend(*, since=None, notices=None, include_cancelled: bool = False) -> tuple[int, int]:
    """Failed notices (whose delivery changed since `since`, or the given queryset) are sent again
    by the outbox (`deliveries_resend`, a fresh set of attempts) when their subscriber is still
    waiting, nobody else is telling them, and the part is in stock. Returns (queued, skipped)."""
    statuses = [DeliveryStatus.FAILED] + ([DeliveryStatus.CANCELLED] if include_cancelled else [])
    candidates = notices if notices is not None else AlertNotice.objects.all()
    candidates = candidates.filter(delivery__status__in=statuses)
    if since is not None:
        candidates = candidates.filter(delivery__updated_at__gte=since)
    queued: list[int] = []
    skipped = 0
    with transaction.atomic():
        for notice in candidates.select_related("subscription__product").order_by("id"):
            subscription = notice.subscription
            busy = (
                subscription.notices.exclude(pk=notice.pk)
                .filter(delivery__status__in=(*IN_FLIGHT, DeliveryStatus.SENT))
                .exists()
            )
            if subscription.status != SubscriptionStatus.ACTIVE or not subscription.product.in_stock or busy:
                skipped += 1
                continue
            queued.append(notice.delivery_id)
        count = deliveries_resend(delivery_ids=queued)
    return count, skipped + len(queued) - count


def alerts_reconcile() -> dict:
    """Beat (and `manage.py alerts_reconcile`): due waves run; subscribers told but not marked are
    marked and their `alert_notified` written (a worker that died before its batch's
    `after_batch`). Unsent notices are the outbox's reconcile beat's (`outbox_reconcile`)."""
    from alerts.services.rounds import restock_rounds_due_advance

    now = timezone.now()
    waves = restock_rounds_due_advance()
    telemetry = _telemetry_backfill(since=now - timedelta(hours=1))
    told = BackInStockSubscription.objects.filter(
        status=SubscriptionStatus.ACTIVE, notices__delivery__status=DeliveryStatus.SENT
    ).values_list("id", flat=True)
    marked = BackInStockSubscription.objects.filter(id__in=list(told)).update(
        status=SubscriptionStatus.NOTIFIED, notified_at=now, updated_at=now
    )
    return {"waves": waves, "marked_notified": marked, "telemetry_backfilled": telemetry}


def _telemetry_backfill(*, since) -> int:
    """`alert_notified` for notices sent by a worker that died before its batch wrote the events."""

    sent = list(
        AlertNotice.objects.filter(delivery__status=DeliveryStatus.SENT, delivery__sent_at__gte=since)
        .select_related("subscription__product", "delivery")
        .order_by("id")[:50_000]
    )
    if not sent:
        return 0
    recorded = event_ids_recorded(event_ids=[f"alert_notified:{n.pk}" for n in sent])
    missing = [notice for notice in sent if f"alert_notified:{notice.pk}" not in recorded]
    _telemetry_record(notices=missing)
    return len(missing)
