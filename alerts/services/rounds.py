"""Restock rounds: a part's stock going 0 → N tells its subscribers, oldest first, in waves sized to the stock.

How a stock change travels (whatever made it: admin, API, importer, `import_stock`, services):
`catalog.services.stock` sends `stock_changed` after its transaction commits → the alerts
receiver (alerts/receivers.py) enqueues `stock_change_process_task` → `stock_change_process`
reads the part as it is *now* (the signal's numbers may be stale or repeated) and:

- stock > 0 after a restock (old 0 → new N) and no open round: opens one (`restock_key` =
  "<PS number>:restock:<n>", unique; one open round per part, enforced by a partial unique
  index, so a repeated or racing signal finds the round the first one opened) and runs wave 1;
- stock 0 and an open round: closes it and cancels its notices' deliveries not yet claimed;
- otherwise: nothing (a wave already scheduled goes on).

A wave (`restock_round_advance`, under the round's row lock) re-reads the stock, picks the
ceil(stock × ALERTS_WAVE_MULTIPLE) oldest active subscribers without a notice in this round,
creates their notices and outbox deliveries (`notices_create`, two bulk INSERTs in the same
transaction), which the outbox sends once it commits, in batches of ALERTS_BATCH_SIZE
(alerts/services/notices.py). The next wave comes
ALERTS_WAVE_DELAY_SECONDS later, and only while stock remains; the round closes when the stock
runs out or nobody is left to tell.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from alerts.enums import RoundCloseReason, RoundStatus, SubscriptionStatus
from alerts.models import AlertNotice, BackInStockSubscription, RestockRound
from alerts.services.notices import IN_FLIGHT, notices_create
from catalog.models import Product
from core.dispatch import task_send_on_commit
from core.outbox.enums import DeliveryStatus
from core.outbox.services import deliveries_cancel

logger = logging.getLogger(__name__)


def restock_key_for(*, ps_number: str, number: int) -> str:
    return f"{ps_number}:restock:{number}"


def stock_change_process(*, product_id: int, old_quantity: int, new_quantity: int) -> RestockRound | None:
    """React to a committed stock change, from the database's current state (idempotent)."""
    product = Product.objects.filter(pk=product_id).first()
    open_round = RestockRound.objects.filter(product_id=product_id, status=RoundStatus.OPEN).first()
    if product is None or not product.in_stock:
        if open_round is not None:
            reason = RoundCloseReason.STOCK_OUT if product is not None else RoundCloseReason.PRODUCT_GONE
            restock_round_close(round_id=open_round.id, reason=reason)
        return open_round
    if open_round is None:
        if old_quantity > 0 or new_quantity <= 0:
            return None  # not a restock: more of something that was already in stock
        if not BackInStockSubscription.objects.filter(product=product, status=SubscriptionStatus.ACTIVE).exists():
            return None  # nobody is waiting
        open_round = restock_round_open(product=product, trigger="restock")
        if open_round is None:
            return None
    restock_round_advance(round_id=open_round.id)
    return open_round


def restock_round_open(*, product: Product, trigger: str = "restock") -> RestockRound | None:
    """Open the part's round, or return the one already open (a racing or repeated restock)."""
    try:
        with transaction.atomic():
            number = (RestockRound.objects.filter(product=product).aggregate(n=Max("number"))["n"] or 0) + 1
            return RestockRound.objects.create(
                product=product,
                number=number,
                restock_key=restock_key_for(ps_number=product.ps_number, number=number),
                started_quantity=product.stock_quantity,
                trigger=trigger,
                next_wave_at=timezone.now(),
            )
    except IntegrityError:
        return RestockRound.objects.filter(product=product, status=RoundStatus.OPEN).first()


def _eligible(*, product_id: int, round_id: int):
    """Active subscribers of the part, oldest first, not told in this round nor being told elsewhere."""
    in_round = AlertNotice.objects.filter(subscription=OuterRef("pk"), round_id=round_id)
    in_flight = AlertNotice.objects.filter(subscription=OuterRef("pk"), delivery__status__in=IN_FLIGHT)
    return (
        BackInStockSubscription.objects.filter(product_id=product_id, status=SubscriptionStatus.ACTIVE)
        .filter(~Exists(in_round), ~Exists(in_flight))
        .order_by("created_at", "id")
    )


def restock_round_advance(*, round_id: int, force: bool = False) -> int:
    """Run the round's next wave if it is due (or `force`); returns how many notices it created."""
    with transaction.atomic():
        rnd = RestockRound.objects.select_for_update().filter(pk=round_id).first()
        if rnd is None or rnd.status != RoundStatus.OPEN:
            return 0
        now = timezone.now()
        if not force and rnd.next_wave_at is not None and rnd.next_wave_at > now:
            return 0
        product = Product.objects.filter(pk=rnd.product_id).first()
        if product is None or not product.in_stock:
            _close(rnd, reason=RoundCloseReason.STOCK_OUT if product else RoundCloseReason.PRODUCT_GONE)
            return 0
        size = max(1, math.ceil(product.stock_quantity * settings.ALERTS_WAVE_MULTIPLE))
        subscriptions = list(
            _eligible(product_id=product.pk, round_id=rnd.pk).values_list("id", "channel", "conversation_id")[:size]
        )
        if not subscriptions:
            _close(rnd, reason=RoundCloseReason.EVERYONE_TOLD)
            return 0
        created = notices_create(
            subscriptions=[
                (sub_id, channel, conversation_id is not None) for sub_id, channel, conversation_id in subscriptions
            ],
            restock_key=rnd.restock_key,
            round_id=rnd.pk,
        )
        rnd.waves += 1
        rnd.notices_created += len(created)
        rnd.next_wave_at = now + timedelta(seconds=settings.ALERTS_WAVE_DELAY_SECONDS)
        rnd.save(update_fields=["waves", "notices_created", "next_wave_at", "updated_at"])
        _next_wave_on_commit(round_id=rnd.pk)
    logger.info("restock %s wave %s: %s notices", rnd.restock_key, rnd.waves, len(created))
    return len(created)


def restock_round_close(*, round_id: int, reason: str) -> None:
    with transaction.atomic():
        rnd = RestockRound.objects.select_for_update().filter(pk=round_id).first()
        if rnd is not None and rnd.status == RoundStatus.OPEN:
            _close(rnd, reason=reason)


def _close(rnd: RestockRound, *, reason: str) -> None:
    """Close the round; notices no worker has claimed yet are not sent (a claimed one is mid-send)."""
    now = timezone.now()
    rnd.status = RoundStatus.CLOSED
    rnd.closed_at = now
    rnd.close_reason = reason
    rnd.save(update_fields=["status", "closed_at", "close_reason", "updated_at"])
    if reason != RoundCloseReason.EVERYONE_TOLD:
        pending = AlertNotice.objects.filter(round=rnd, delivery__status=DeliveryStatus.PENDING)
        deliveries_cancel(
            delivery_ids=list(pending.values_list("delivery_id", flat=True)), reason=RoundCloseReason(reason).label
        )


def _next_wave_on_commit(*, round_id: int) -> None:
    from alerts.tasks import restock_round_advance_task

    delay = settings.ALERTS_WAVE_DELAY_SECONDS
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # no broker to hold a delayed task: the reconcile beat (or a next stock change) runs it
    task_send_on_commit(restock_round_advance_task, round_id, countdown=delay + 1)


def restock_rounds_due_advance() -> int:
    """Beat: run every wave that is due (a lost delayed task changes nothing)."""
    due = RestockRound.objects.filter(status=RoundStatus.OPEN, next_wave_at__lte=timezone.now()).values_list(
        "id", flat=True
    )
    return sum(restock_round_advance(round_id=round_id) for round_id in list(due))


def alerts_backfill(*, ps_numbers: list[str] | None = None) -> list[RestockRound]:
    """Parts in stock now whose active subscribers were never told: a round each ("backfill")."""
    products = Product.objects.filter(is_active=True, stock_quantity__gt=0).filter(
        Exists(BackInStockSubscription.objects.filter(product=OuterRef("pk"), status=SubscriptionStatus.ACTIVE))
    )
    if ps_numbers:
        products = products.filter(ps_number__in=ps_numbers)
    rounds = []
    for product in products.order_by("ps_number"):
        rnd = RestockRound.objects.filter(product=product, status=RoundStatus.OPEN).first()
        if rnd is None:
            rnd = restock_round_open(product=product, trigger="backfill")
        if rnd is not None:
            restock_round_advance(round_id=rnd.id, force=True)
            rounds.append(rnd)
    return rounds
