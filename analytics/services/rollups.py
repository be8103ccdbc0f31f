"""Rollups: the daily tables the dashboard reads instead of scanning millions of rows.

Derived tables, each built from its source with set-based SQL (`INSERT … SELECT … GROUP BY`),
never by looping over events in Python:

- EventDailyRollup (day × name × source × action type × part) and EventDailyTypeRollup (the
  same without the part): event counts.
- ConversationFunnel (one row per conversation: cohort day = the day of its first event,
  first-touch part and action type, steps reached) → FunnelDailyRollup (per cohort day × part ×
  action type) and FunnelDailyTotalRollup (per cohort day).
- OrderDailyRollup and OrderSkuDailyRollup: paid orders by the day they were placed.
- UsageDailyRollup: assistant replies, tokens and cost per day, from Message.metadata["usage"].
- ExperimentVisitor → ExperimentDailyRollup: holdout experiments (experiment_rollups.py), rebuilt
  for the visitors whose assignment or order events are new.

Event-derived rollups hold exactly the events with ids up to `RollupState.last_event_id`;
selectors add the newer ones from raw events, so figures are live to the second and a stalled
beat makes the dashboard slower, never wrong. Orders (whose status can change) and usage are
rebuilt per day; they are complete through `RollupState.complete_through` and read raw after.

`analytics_rollups_refresh` (the beat task, every minute) adds the new events' counts, rebuilds
the conversations they touch and those conversations' cohort days, and rebuilds today's,
yesterday's and any re-touched day's orders and usage. `analytics_rollups_rebuild`
(manage.py analytics_backfill) rebuilds everything, one day per transaction.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from analytics.constants import FUNNEL_STEPS
from analytics.enums import EventName
from analytics.models import (
    ConversationFunnel,
    Event,
    EventDailyRollup,
    EventDailyTypeRollup,
    FunnelDailyRollup,
    FunnelDailyTotalRollup,
    OrderDailyRollup,
    OrderSkuDailyRollup,
    RollupState,
    UsageDailyRollup,
)
from analytics.services.experiment_rollups import experiment_rollups_rebuild, experiment_rollups_refresh
from analytics.services.sql import insert_select
from checkout.models import Order, OrderLine
from conversations.enums import Role
from conversations.models import Message

logger = logging.getLogger(__name__)

STATE_KEY = "default"
# Events newer than this are left for the next run, so a row whose id was allocated before a
# slightly later commit is not skipped by the watermark.
COMMIT_GRACE = timedelta(seconds=5)
_LOCK_ID = 7_240_001  # pg advisory lock: one refresh or rebuild at a time


@dataclass
class RefreshResult:
    ran: bool
    events: int = 0
    days: int = 0
    conversations_days: int = 0
    last_event_id: int = 0


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


@contextlib.contextmanager
def _exclusive(*, wait: bool) -> Iterator[bool]:
    """One rollup writer at a time across processes (a PostgreSQL advisory lock; SQLite serialises
    writers itself). Yields False when `wait` is off and someone else holds it."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s)", [_LOCK_ID])
            got = True
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_ID])
            got = bool(cursor.fetchone()[0])
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_ID])


# --- events ---------------------------------------------------------------------------------

_EVENT_KEYS = ["day", "name", "source", "action_type", "ps_number"]
_TYPE_KEYS = ["day", "name", "source", "action_type"]


def _event_counts(events: QuerySet, keys: list[str]) -> QuerySet:
    dims = [k for k in keys if k != "day"]
    return (
        events.annotate(d=TruncDate("occurred_at"))
        .values("d", *dims)
        .annotate(n=Count("id"))
        .values_list("d", *dims, "n")
    )


def _upsert_add(model, keys: list[str], queryset: QuerySet) -> None:
    """Add the queryset's counts (its last column) into `events` of the matching rollup rows."""
    sql, params = queryset.query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    cols = ", ".join(qn(c) for c in [*keys, "events"])
    conflict = ", ".join(qn(c) for c in keys)
    with connection.cursor() as cursor:
        cursor.execute(
            # `WHERE true` keeps SQLite from reading ON CONFLICT as a join constraint.
            f"INSERT INTO {table} ({cols}) SELECT * FROM ({sql}) AS src WHERE true "  # noqa: S608
            f"ON CONFLICT ({conflict}) DO UPDATE SET {qn('events')} = {table}.{qn('events')} + EXCLUDED.{qn('events')}",
            params,
        )


def _events_add(lo: int, hi: int) -> None:
    """Fold events lo < id ≤ hi into the event rollups (additive: the watermark moves with them)."""
    new = Event.objects.filter(id__gt=lo, id__lte=hi)
    _upsert_add(EventDailyRollup, _EVENT_KEYS, _event_counts(new, _EVENT_KEYS))
    _upsert_add(EventDailyTypeRollup, _TYPE_KEYS, _event_counts(new, _TYPE_KEYS))


def _event_day_rebuild(day: date, hi: int) -> None:
    start, end = day_bounds(day)
    EventDailyRollup.objects.filter(day=day).delete()
    EventDailyTypeRollup.objects.filter(day=day).delete()
    events = Event.objects.filter(occurred_at__gte=start, occurred_at__lt=end, id__lte=hi)
    insert_select(EventDailyRollup, [*_EVENT_KEYS, "events"], _event_counts(events, _EVENT_KEYS))
    narrow = (
        EventDailyRollup.objects.filter(day=day)
        .values("day", "name", "source", "action_type")
        .annotate(n=Sum("events"))
        .values_list("day", "name", "source", "action_type", "n")
    )
    insert_select(EventDailyTypeRollup, [*_TYPE_KEYS, "events"], narrow)


# --- conversations and the funnel --------------------------------------------------------------


def _step_flag(name: str):
    return Max(Case(When(name=name, then=Value(1)), default=Value(0), output_field=IntegerField()))


def _first_touch(column: str, hi: int | None = None):
    """The value of `column` on a conversation's earliest event that has one."""
    events = Event.objects.filter(conversation_id=OuterRef("conversation_id")).exclude(**{column: ""})
    if hi is not None:
        events = events.filter(id__lte=hi)
    return Coalesce(Subquery(events.order_by("occurred_at", "id").values(column)[:1]), Value(""))


def _conversations_rebuild(conversation_ids: QuerySet, hi: int) -> set[date]:
    """Recompute ConversationFunnel rows for these conversations (a values('conversation_id')
    queryset) from their events up to id hi; returns every cohort day whose totals may have
    changed (old and new)."""
    existing = ConversationFunnel.objects.filter(conversation_id__in=conversation_ids)
    days = set(existing.values_list("day", flat=True).distinct())
    existing.delete()
    step_columns = [str(step) for step in FUNNEL_STEPS]
    rows = (
        Event.objects.filter(conversation_id__in=conversation_ids, id__lte=hi)
        .exclude(conversation_id="")
        .values("conversation_id")
        .annotate(
            started=Min("occurred_at"),
            cohort=TruncDate(Min("occurred_at")),
            no_part=Value(""),
            no_type=Value(""),
            **{f"reached_{step}": _step_flag(step) for step in step_columns},
        )
        .values_list(
            "conversation_id", "started", "cohort", "no_part", "no_type", *[f"reached_{step}" for step in step_columns]
        )
    )
    insert_select(
        ConversationFunnel, ["conversation_id", "started_at", "day", "ps_number", "action_type", *step_columns], rows
    )
    fresh = ConversationFunnel.objects.filter(conversation_id__in=conversation_ids)
    fresh.update(ps_number=_first_touch("ps_number", hi), action_type=_first_touch("action_type", hi))
    days |= set(fresh.values_list("day", flat=True).distinct())
    return days


def _funnel_days_rebuild(days: Iterable[date]) -> None:
    days = sorted(days)
    step_columns = [str(step) for step in FUNNEL_STEPS]
    for chunk_start in range(0, len(days), 100):
        chunk = days[chunk_start : chunk_start + 100]
        FunnelDailyRollup.objects.filter(day__in=chunk).delete()
        FunnelDailyTotalRollup.objects.filter(day__in=chunk).delete()
        rows = (
            ConversationFunnel.objects.filter(day__in=chunk)
            .values("day", "ps_number", "action_type")
            .annotate(n=Count("*"), **{f"n_{step}": Sum(step) for step in step_columns})
            .values_list("day", "ps_number", "action_type", "n", *[f"n_{step}" for step in step_columns])
        )
        insert_select(FunnelDailyRollup, ["day", "ps_number", "action_type", "conversations", *step_columns], rows)
        totals = (
            FunnelDailyRollup.objects.filter(day__in=chunk)
            .values("day")
            .annotate(n=Sum("conversations"), **{f"n_{step}": Sum(step) for step in step_columns})
            .values_list("day", "n", *[f"n_{step}" for step in step_columns])
        )
        insert_select(FunnelDailyTotalRollup, ["day", "conversations", *step_columns], totals)


# --- orders and usage ---------------------------------------------------------------------------

PAID_STATUSES = ("paid", "partially_refunded")


def paid_orders(start: datetime, end: datetime) -> QuerySet:
    return Order.objects.filter(created_at__gte=start, created_at__lt=end, status__in=PAID_STATUSES)


def net_revenue(prefix: str = "") -> F:
    """An order's revenue: its total less what was refunded (a partly refunded order counts for
    what the shop kept). A refund touches the order, so the refresh rebuilds its day."""
    return F(f"{prefix}total") - F(f"{prefix}refunded_total")


def _orders_day_rebuild(day: date) -> None:
    start, end = day_bounds(day)
    OrderDailyRollup.objects.filter(day=day).delete()
    OrderSkuDailyRollup.objects.filter(day=day).delete()
    money = DecimalField(max_digits=16, decimal_places=2)
    orders = (
        paid_orders(start, end)
        .values("order_source", "currency")
        .annotate(
            d=Value(day),
            at=Coalesce("action__type", Value("")),
            n=Count("id"),
            revenue=Coalesce(Sum(net_revenue(), output_field=money), Value(0, output_field=money)),
        )
        .values_list("d", "order_source", "currency", "at", "n", "revenue")
    )
    insert_select(OrderDailyRollup, ["day", "order_source", "currency", "action_type", "orders", "revenue"], orders)
    insert_select(
        OrderSkuDailyRollup,
        [
            "day",
            "sku",
            "order_source",
            "currency",
            "action_type",
            "orders",
            "order_revenue",
            "quantity",
            "line_revenue",
        ],
        _sku_rows(start, end, day),
    )


def _sku_rows(start: datetime, end: datetime, day: date) -> QuerySet:
    """Per part: orders containing it, those orders' net revenue (each order once), quantity, line revenue."""
    money = DecimalField(max_digits=16, decimal_places=2)
    order_total_once = Case(
        # an order's total counts on the first of its lines with that sku only
        When(
            ~Exists(
                OrderLine.objects.filter(order_id=OuterRef("order_id"), sku=OuterRef("sku"), id__lt=OuterRef("id"))
            ),
            then=net_revenue("order__"),
        ),
        default=Value(0),
        output_field=money,
    )
    return (
        OrderLine.objects.filter(order__in=paid_orders(start, end))
        .values("sku", "order__order_source", "order__currency")
        .annotate(
            d=Value(day),
            at=Coalesce("order__action__type", Value("")),
            n=Count("order_id", distinct=True),
            order_revenue=Coalesce(Sum(order_total_once), Value(0, output_field=money)),
            quantity=Coalesce(Sum("quantity"), Value(0)),
            line_revenue=Coalesce(Sum("line_total"), Value(0, output_field=money)),
        )
        .values_list(
            "d", "sku", "order__order_source", "order__currency", "at", "n", "order_revenue", "quantity", "line_revenue"
        )
    )


def _usage_number(key: str, output_field):
    """Message.metadata["usage"][key] as a number; missing or not numeric counts as 0."""
    lookup = f"metadata__usage__{key}"
    return Coalesce(
        Sum(
            Case(
                When(
                    **{f"{lookup}__regex": r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"},
                    then=Cast(KT(lookup), output_field),
                ),
                default=Value(0, output_field=output_field),
                output_field=output_field,
            )
        ),
        Value(0, output_field=output_field),
    )


def assistant_usage_queryset(start: datetime, end: datetime) -> QuerySet:
    return Message.objects.filter(role=Role.ASSISTANT, created_at__gte=start, created_at__lt=end)


def _usage_day_rebuild(day: date) -> None:
    start, end = day_bounds(day)
    UsageDailyRollup.objects.filter(day=day).delete()
    decimal = DecimalField(max_digits=16, decimal_places=6)
    totals = assistant_usage_queryset(start, end).aggregate(
        replies=Count("id"),
        prompt_tokens=_usage_number("prompt_tokens", BigIntegerField()),
        completion_tokens=_usage_number("completion_tokens", BigIntegerField()),
        cost_usd=_usage_number("cost_usd", decimal),
    )
    if totals["replies"]:
        UsageDailyRollup.objects.create(day=day, **totals)


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)] if first <= last else []


def _first_day(model, field: str) -> date | None:
    first = model.objects.aggregate(m=Min(field))["m"]
    return first.astimezone(UTC).date() if first else None


# Events that change an experiment's figures: a visitor assigned, a visitor's order.
_EXPERIMENT_EVENTS = (EventName.EXPERIMENT_ASSIGNED, EventName.ORDER_COMPLETED)


# --- public services ----------------------------------------------------------------------


def analytics_rollups_refresh(*, now: datetime | None = None) -> RefreshResult:
    """Bring the rollups up to date with what was stored since the last run (idempotent)."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    yesterday = today - timedelta(days=1)
    with _exclusive(wait=False) as got, transaction.atomic():
        if not got:
            return RefreshResult(ran=False)
        state, _ = RollupState.objects.select_for_update().get_or_create(key=STATE_KEY)
        lo = state.last_event_id
        hi = Event.objects.filter(id__gt=lo, received_at__lt=now - COMMIT_GRACE).aggregate(m=Max("id"))["m"] or lo
        new = Event.objects.filter(id__gt=lo, id__lte=hi)
        count = new.count()
        event_days = set(new.annotate(d=TruncDate("occurred_at")).values_list("d", flat=True).distinct())
        _events_add(lo, hi)
        cohort_days = _conversations_rebuild(new.exclude(conversation_id="").values("conversation_id"), hi)
        _funnel_days_rebuild(cohort_days)
        experiment_rollups_refresh(
            visitors=new.filter(name__in=_EXPERIMENT_EVENTS).exclude(visitor_id="").values("visitor_id"), hi=hi
        )

        if state.refreshed_at:
            since = state.refreshed_at - timedelta(minutes=1)
            touched = (
                Order.objects.filter(updated_at__gte=since)
                .annotate(d=TruncDate("created_at"))
                .values_list("d", flat=True)
                .distinct()
            )
            order_days = set(touched) | {yesterday, today}
            usage_days = set(_dates(min(since.astimezone(UTC).date(), yesterday), today))
        else:  # first run: everything there is
            first_order, first_message = _first_day(Order, "created_at"), _first_day(Message, "created_at")
            order_days = set(_dates(first_order, today)) if first_order else {yesterday, today}
            usage_days = set(_dates(first_message, today)) if first_message else {yesterday, today}
        for day in sorted(order_days):
            _orders_day_rebuild(day)
        for day in sorted(usage_days):
            _usage_day_rebuild(day)
        state.last_event_id = hi
        state.complete_through = yesterday
        state.refreshed_at = now
        state.save()
    return RefreshResult(
        ran=True, events=count, days=len(event_days), conversations_days=len(cohort_days), last_event_id=hi
    )


def analytics_rollups_rebuild(
    *,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> RefreshResult:
    """Throw every rollup away and rebuild it from events, orders and messages, one day per
    transaction. While it runs the dashboard reads raw rows (the watermarks are reset first),
    so it is slower but right. `on_total(n)` is told how many steps there are, `progress(1)`
    after each.
    """
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    models = (
        EventDailyRollup,
        EventDailyTypeRollup,
        ConversationFunnel,
        FunnelDailyRollup,
        FunnelDailyTotalRollup,
        OrderDailyRollup,
        OrderSkuDailyRollup,
        UsageDailyRollup,
    )
    with _exclusive(wait=True):
        with transaction.atomic():
            state, _ = RollupState.objects.select_for_update().get_or_create(key=STATE_KEY)
            hi = Event.objects.aggregate(m=Max("id"))["m"] or 0
            state.complete_through = None
            state.last_event_id = 0
            state.save()
            for model in models:
                model.objects.all().delete()
        first_event = Event.objects.filter(id__lte=hi).aggregate(m=Min("occurred_at"))["m"]
        last_event = Event.objects.filter(id__lte=hi).aggregate(m=Max("occurred_at"))["m"]
        event_days = (
            _dates(first_event.astimezone(UTC).date(), max(last_event.astimezone(UTC).date(), today))
            if first_event
            else []
        )
        first_order, first_message = _first_day(Order, "created_at"), _first_day(Message, "created_at")
        order_days = _dates(first_order, today) if first_order else []
        usage_days = _dates(first_message, today) if first_message else []
        if on_total:
            on_total(len(event_days) + len(order_days) + len(usage_days) + 1)
        cohort_days: set[date] = set()
        for day in event_days:
            start, end = day_bounds(day)
            with transaction.atomic():
                _event_day_rebuild(day, hi)
                day_conversations = (
                    Event.objects.filter(occurred_at__gte=start, occurred_at__lt=end, id__lte=hi)
                    .exclude(conversation_id="")
                    .values("conversation_id")
                )
                cohort_days |= _conversations_rebuild(day_conversations, hi)
            if progress:
                progress(1)
        for rebuild, days in ((_orders_day_rebuild, order_days), (_usage_day_rebuild, usage_days)):
            for day in days:
                with transaction.atomic():
                    rebuild(day)
                if progress:
                    progress(1)
        with transaction.atomic():
            _funnel_days_rebuild(cohort_days)
            experiment_rollups_rebuild(hi=hi)
            state = RollupState.objects.select_for_update().get(key=STATE_KEY)
            state.last_event_id = hi
            state.complete_through = today - timedelta(days=1)
            state.refreshed_at = now
            state.save()
        if progress:
            progress(1)
    return RefreshResult(
        ran=True,
        events=Event.objects.filter(id__lte=hi).count(),
        days=len(event_days),
        conversations_days=len(cohort_days),
        last_event_id=hi,
    )
