"""Holdout experiments: start and stop, assign a visitor to an arm, record a shop's order.

Assignment is a pure function of the experiment's salt and the visitor id (SHA-256 → one of
10,000 buckets), so it is stable per visitor without any server state; it is recorded once as an
`experiment_assigned` event whose id is `exp<experiment>:<visitor>` (a repeat is ignored by the
unique event id, so the first assignment's time stands). Orders are `order_completed` events with
the visitor and the value, keyed by the order (`order:<shop order id>`, `order:parley:<number>`),
so the beacon, the webhook and a retry of either count an order once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics.constants import VISITOR_ID_PATTERN
from analytics.enums import EventName, EventSource, ExperimentArm, ExperimentStatus
from analytics.error_codes import AnalyticsErrorCode
from analytics.exceptions import ExperimentInvalid, ShopWebhookRefused
from analytics.models import Event, Experiment
from analytics.services.events import ServerEvent, events_record_many

VISITOR_ID = re.compile(VISITOR_ID_PATTERN)
BUCKETS = 10_000


@dataclass(frozen=True)
class Assignment:
    experiment_id: int | None
    arm: str | None

    @property
    def show_widget(self) -> bool:
        return self.arm != ExperimentArm.HOLDOUT


NOT_IN_EXPERIMENT = Assignment(experiment_id=None, arm=None)


def experiment_arm(*, experiment: Experiment, visitor_id: str) -> str:
    """The arm of this visitor in this experiment (the same answer every time)."""
    digest = hashlib.sha256(f"{experiment.salt}:{visitor_id}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % BUCKETS
    return ExperimentArm.HOLDOUT if bucket < experiment.holdout_percent * BUCKETS // 100 else ExperimentArm.CHAT


def page_prefixes(pages: str) -> list[str]:
    return [line.strip() for line in pages.splitlines() if line.strip()]


def experiment_covers(*, experiment: Experiment, page_url: str) -> bool:
    prefixes = page_prefixes(experiment.pages)
    if not prefixes:
        return True
    try:
        path = urlsplit(page_url or "").path or "/"
    except ValueError:
        return False
    return any(path.startswith(prefix) for prefix in prefixes)


def experiment_assign(*, visitor_id: str, page_url: str) -> Assignment:
    """The running experiment's arm for this visitor on this page (recorded the first time), or
    NOT_IN_EXPERIMENT when nothing runs or the page is not covered."""
    if not VISITOR_ID.fullmatch(visitor_id or ""):
        raise ExperimentInvalid(
            "visitor_id must be 8-48 letters, digits, _ or -.", code=AnalyticsErrorCode.INVALID_VISITOR_ID
        )
    experiment = Experiment.objects.filter(status=ExperimentStatus.RUNNING).first()
    if experiment is None or not experiment_covers(experiment=experiment, page_url=page_url):
        return NOT_IN_EXPERIMENT
    arm = experiment_arm(experiment=experiment, visitor_id=visitor_id)
    events_record_many(
        events=[
            ServerEvent(
                event_id=f"exp{experiment.pk}:{visitor_id}",
                name=EventName.EXPERIMENT_ASSIGNED,
                occurred_at=timezone.now(),
                visitor_id=visitor_id,
                properties={"experiment": str(experiment.pk), "arm": str(arm)},
            )
        ]
    )
    return Assignment(experiment_id=experiment.pk, arm=str(arm))


@transaction.atomic
def experiment_start(*, experiment: Experiment) -> Experiment:
    """Draft → running. One experiment runs at a time; a stopped one is not restarted (its
    visitors' exposure would have a gap that the analysis cannot see)."""
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status != ExperimentStatus.DRAFT:
        raise ExperimentInvalid(
            f"Only a draft experiment can start; this one is {experiment.status}.",
            code=AnalyticsErrorCode.EXPERIMENT_STATE,
        )
    if Experiment.objects.filter(status=ExperimentStatus.RUNNING).exists():
        raise ExperimentInvalid(
            "Another experiment is running; stop it first.", code=AnalyticsErrorCode.EXPERIMENT_STATE
        )
    experiment.status = ExperimentStatus.RUNNING
    experiment.started_at = timezone.now()
    experiment.save(update_fields=["status", "started_at"])
    return experiment


@transaction.atomic
def experiment_stop(*, experiment: Experiment) -> Experiment:
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status != ExperimentStatus.RUNNING:
        raise ExperimentInvalid(
            f"Only a running experiment can stop; this one is {experiment.status}.",
            code=AnalyticsErrorCode.EXPERIMENT_STATE,
        )
    experiment.status = ExperimentStatus.STOPPED
    experiment.stopped_at = timezone.now()
    experiment.save(update_fields=["status", "stopped_at"])
    return experiment


def order_event(
    *, order_key: str, visitor_id: str, value: Decimal, currency: str, occurred_at: datetime, source: str
) -> ServerEvent:
    """The `order_completed` event of one order; `order_key` makes it count once."""
    return ServerEvent(
        event_id=f"order:{order_key}",
        name=EventName.ORDER_COMPLETED,
        occurred_at=occurred_at,
        visitor_id=visitor_id,
        value=value,
        properties={"order_id": order_key, "currency": currency, "source": source},
    )


def order_completed_record(
    *, order_key: str, visitor_id: str, value: Decimal, currency: str, occurred_at: datetime, source: str
) -> None:
    """Record an order as a conversion of its visitor, once per `order_key` (after the current
    transaction commits, and never breaking it). Skipped without a well-formed visitor id, or
    in another currency than the shop's (revenue per visitor adds one currency)."""
    if not VISITOR_ID.fullmatch(visitor_id or "") or currency != settings.PARLEY_CURRENCY:
        return
    event = order_event(
        order_key=order_key,
        visitor_id=visitor_id,
        value=value,
        currency=currency,
        occurred_at=occurred_at,
        source=source,
    )
    transaction.on_commit(lambda: events_record_many(events=[event]))


# --- the shop platform's order webhook ----------------------------------------------------------

SIGNATURE_TOLERANCE_SECONDS = 300


def shop_webhook_verify(*, body: bytes, signature_header: str) -> None:
    """`Parley-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under
    PARLEY_SHOP_WEBHOOK_SECRET, within 5 minutes of our clock (a replayed old request fails)."""
    secret = getattr(settings, "PARLEY_SHOP_WEBHOOK_SECRET", "")
    if not secret:
        raise ShopWebhookRefused(
            "The order webhook is off: set PARLEY_SHOP_WEBHOOK_SECRET.",
            code=AnalyticsErrorCode.WEBHOOK_DISABLED,
            status_code=404,  # as if absent: an endpoint nobody configured accepts nothing
        )
    parts = dict(item.split("=", 1) for item in (signature_header or "").split(",") if "=" in item)
    stamp, given = parts.get("t", "").strip(), parts.get("v1", "").strip()
    if not stamp.isdigit() or len(stamp) > 12 or not given:
        raise ShopWebhookRefused("Parley-Signature: t=<unix time>,v1=<hex HMAC-SHA256> is required.")
    if abs(timezone.now().timestamp() - int(stamp)) > SIGNATURE_TOLERANCE_SECONDS:
        raise ShopWebhookRefused("The signature's timestamp is too far from now; check the clock, do not replay.")
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.lower()):
        raise ShopWebhookRefused("The signature does not match the body.")


def shop_webhook_sign(*, body: bytes, secret: str, at: int | None = None) -> str:
    """The header value a platform sends (for its integration and our tests)."""
    stamp = str(at if at is not None else int(timezone.now().timestamp()))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


@transaction.atomic
def shop_order_record(*, order_id: str, visitor_id: str, value: Decimal, currency: str, occurred_at: datetime) -> bool:
    """A paid order from the shop platform, as a conversion of its visitor. False when this order
    id was already recorded (by the webhook's retry or the beacon): it counts once."""
    if currency != settings.PARLEY_CURRENCY:
        raise ExperimentInvalid(
            f"Orders are counted in {settings.PARLEY_CURRENCY}.", code=AnalyticsErrorCode.CURRENCY_MISMATCH
        )
    event = order_event(
        order_key=order_id,
        visitor_id=visitor_id,
        value=value,
        currency=currency,
        occurred_at=occurred_at,
        source="webhook",
    )
    _, created = Event.objects.get_or_create(
        event_id=event.event_id,
        defaults={
            "name": str(event.name),
            "source": EventSource.SERVER,
            "occurred_at": event.occurred_at,
            "visitor_id": event.visitor_id,
            "value": event.value,
            "properties": event.properties,
        },
    )
    return created
