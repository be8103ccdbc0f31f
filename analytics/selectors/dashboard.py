"""The dashboard's figures, as SQL aggregates.

Event figures come from the rollup tables (which hold the events up to `RollupState.last_event_id`)
plus the newer events read raw; order and usage figures from rollups for whole days up to
`RollupState.complete_through` and raw rows after. So figures are current to the second, and a
stalled beat task makes the dashboard slower, never wrong. Python only merges and divides
aggregated rows (a few hundred at most), never loops over events.

Definitions (also in the README):
- Days are UTC calendar days; a period is `start`..`end` inclusive.
- Funnel: a conversation belongs to the day of its first event (its cohort day). For the
  conversations that started in the period, each step counts how many reached it at least once,
  at any time (not only within the period), whatever the order: chat_opened → message_sent →
  purchase_intent_detected → payment_link_clicked → payment_completed. Counting conversations,
  not events, makes a repeated or double-reported step (the server and the widget both report
  chat_opened) count once.
- Funnel filters are first-touch: `ps_number` keeps conversations whose first event naming a part
  named that part; `action_type` those whose first event naming an action type named that type.
- Every other breakdown counts events (or orders) matching the filters.
- Click-through = server-recorded clicks / renders; success = succeeded / clicks. Clicks the widget
  reported (`client_clicks`) are shown apart: the server's click is the one that moved the action.
- Orders count when paid (or partially refunded), by the day they were created. Revenue is net of
  refunds (total less refunded; a fully refunded order is not counted). AOV (average order value)
  = revenue / orders per source and currency. Revenue attributed to conversations = conversational
  orders. A part's sales are its lines' totals (a refund is of an order, not of a line).
- Alert conversion: subscriptions created in the period whose contact (customer or conversation)
  placed a paid order for that product after being notified, over those notified.
- Assistant cost: the sum of `usage` on assistant replies in the period (missing = 0), per
  conversation started and per conversational order in the period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Count,
    DecimalField,
    Exists,
    Min,
    OuterRef,
    Q,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from alerts.models import BackInStockSubscription
from analytics.constants import FUNNEL_STEPS
from analytics.enums import EventName, EventSource
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
from analytics.selectors.handoff import handoff_metrics_get
from analytics.services.rollups import (
    PAID_STATUSES,
    STATE_KEY,
    _step_flag,
    _usage_number,
    assistant_usage_queryset,
    day_bounds,
    net_revenue,
    paid_orders,
)
from catalog.models import Product
from checkout.models import OrderLine

STEPS = [str(step) for step in FUNNEL_STEPS]
TOP_N = 10


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    action_type: str | None = None
    ps_number: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return day_bounds(self.start)[0], day_bounds(self.end)[1]

    def all_days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


@dataclass(frozen=True)
class _Split:
    last_event_id: int  # event rollups hold events up to this id; newer ones are read raw
    rolled: tuple[date, date] | None  # orders and usage: days read from rollups
    raw: tuple[datetime, datetime] | None  # orders and usage: read from rows
    complete_through: date | None


def _split(period: Period) -> _Split:
    state = RollupState.objects.filter(key=STATE_KEY).values("last_event_id", "complete_through").first() or {}
    complete = state.get("complete_through")
    rolled = raw = None
    if complete and complete >= period.start:
        rolled = (period.start, min(period.end, complete))
    first_raw_day = max(period.start, complete + timedelta(days=1)) if complete else period.start
    if first_raw_day <= period.end:
        raw = (day_bounds(first_raw_day)[0], day_bounds(period.end)[1])
    return _Split(state.get("last_event_id") or 0, rolled, raw, complete)


def _pct(numerator, denominator) -> float | None:
    if not denominator:
        return None
    return round(float(numerator) * 100 / float(denominator), 2)


def _money(value) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _dimension_filter(period: Period) -> Q:
    q = Q()
    if period.action_type:
        q &= Q(action_type=period.action_type)
    if period.ps_number:
        q &= Q(ps_number=period.ps_number)
    return q


# --- events -----------------------------------------------------------------------------------


def event_counts(period: Period, split: _Split, *, names: list[str], group_by: tuple[str, ...]) -> dict[tuple, int]:
    """Events matching the period's filters, summed by `group_by` (any of day, name, source,
    action_type, ps_number): the rollups, plus the events newer than they are."""
    totals: dict[tuple, int] = defaultdict(int)
    dims = _dimension_filter(period)
    # Without the part in play the narrow rollup (no ps_number column) has far fewer rows.
    rollup = EventDailyRollup if period.ps_number or "ps_number" in group_by else EventDailyTypeRollup
    rows = (
        rollup.objects.filter(dims, day__gte=period.start, day__lte=period.end, name__in=names)
        .values(*group_by)
        .annotate(n=Sum("events"))
        .values_list(*group_by, "n")
    )
    for *key, n in rows:
        totals[tuple(key)] += n
    start, end = period.bounds
    tail = Event.objects.filter(
        dims, id__gt=split.last_event_id, occurred_at__gte=start, occurred_at__lt=end, name__in=names
    )
    if "day" in group_by:
        tail = tail.annotate(day=TruncDate("occurred_at"))
    for *key, n in tail.values(*group_by).annotate(n=Count("id")).values_list(*group_by, "n"):
        totals[tuple(key)] += n
    return dict(totals)


# --- funnel -----------------------------------------------------------------------------------


def _funnel_tail(period: Period, split: _Split) -> dict[date, dict]:
    """What the events newer than the rollups add to the funnel: conversations they start, and
    steps they reach that the conversation had not reached yet, by cohort day (first-touch
    filters: the stored first touch, or for a new conversation its own first event)."""
    per_conversation = (
        Event.objects.filter(id__gt=split.last_event_id)
        .exclude(conversation_id="")
        .values("conversation_id")
        .annotate(cohort=TruncDate(Min("occurred_at")), **{f"r_{s}": _step_flag(s) for s in STEPS})
        .values_list("conversation_id", "cohort", *[f"r_{s}" for s in STEPS])
    )
    inner, params = per_conversation.query.sql_with_params()
    qn = connection.ops.quote_name
    event_table = qn(Event._meta.db_table)
    facts = qn(ConversationFunnel._meta.db_table)
    cid = qn("conversation_id")
    day = f"COALESCE(f.{qn('day')}, t.{qn('cohort')})"
    where, where_params = [f"{day} >= %s", f"{day} <= %s"], [period.start, period.end]
    for column, value in (("ps_number", period.ps_number), ("action_type", period.action_type)):
        if value:
            col = qn(column)
            where.append(  # identifiers quoted, the value is bound
                f"COALESCE(f.{col}, (SELECT e.{col} FROM {event_table} e WHERE e.{cid} = t.{cid} "  # noqa: S608
                f"AND e.{col} <> '' ORDER BY e.{qn('occurred_at')}, e.{qn('id')} LIMIT 1), '') = %s"
            )
            where_params.append(value)
    new_steps = ", ".join(
        f"SUM(CASE WHEN COALESCE(f.{qn(s)}, 0) = 0 AND t.{qn('r_' + s)} = 1 THEN 1 ELSE 0 END)" for s in STEPS
    )
    sql = (
        f"SELECT {day}, SUM(CASE WHEN f.{cid} IS NULL THEN 1 ELSE 0 END), {new_steps} "  # noqa: S608
        f"FROM ({inner}) t LEFT JOIN {facts} f ON f.{cid} = t.{cid} "
        f"WHERE {' AND '.join(where)} GROUP BY {day}"
    )
    out: dict[date, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [*params, *[connection.ops.adapt_datefield_value(v) if isinstance(v, date) else v for v in where_params]],
        )
        for cohort, conversations, *steps in cursor.fetchall():
            if isinstance(cohort, str):  # SQLite hands dates back as text here
                cohort = date.fromisoformat(cohort)
            out[cohort] = {
                "conversations": int(conversations or 0),
                **{s: int(v or 0) for s, v in zip(STEPS, steps, strict=True)},
            }
    return out


def _funnel_by_day(period: Period, split: _Split) -> dict[date, dict]:
    by_day: dict[date, dict] = {}
    filtered = period.ps_number or period.action_type
    rollup = FunnelDailyRollup if filtered else FunnelDailyTotalRollup
    rows = (
        rollup.objects.filter(_dimension_filter(period), day__gte=period.start, day__lte=period.end)
        .values("day")
        .annotate(n=Sum("conversations"), **{f"n_{s}": Sum(s) for s in STEPS})
    )
    for row in rows:
        by_day[row["day"]] = {"conversations": row["n"], **{s: row[f"n_{s}"] for s in STEPS}}
    for day, extra in _funnel_tail(period, split).items():
        current = by_day.setdefault(day, {"conversations": 0, **{s: 0 for s in STEPS}})
        for key, value in extra.items():
            current[key] += value
    return by_day


def _funnel_summary(totals: dict) -> dict:
    steps = []
    first = totals[STEPS[0]]
    previous = None
    for step in STEPS:
        count = totals[step]
        steps.append(
            {
                "name": step,
                "conversations": count,
                "percent_of_first": _pct(count, first),
                "percent_of_previous": _pct(count, previous) if previous is not None else None,
            }
        )
        previous = count
    return {
        "conversations": totals["conversations"],
        "steps": steps,
        "chat_to_payment_percent": _pct(totals[EventName.PAYMENT_COMPLETED], totals[EventName.CHAT_OPENED]),
        "intent_to_payment_percent": _pct(
            totals[EventName.PAYMENT_COMPLETED], totals[EventName.PURCHASE_INTENT_DETECTED]
        ),
        "link_click_to_payment_percent": _pct(
            totals[EventName.PAYMENT_COMPLETED], totals[EventName.PAYMENT_LINK_CLICKED]
        ),
    }


def _funnel(period: Period, split: _Split) -> tuple[dict, list[dict]]:
    by_day = _funnel_by_day(period, split)
    zero = {"conversations": 0, **{s: 0 for s in STEPS}}
    daily = [{"day": day, **by_day.get(day, zero)} for day in period.all_days()]
    totals = {key: sum(row[key] for row in daily) for key in zero}
    return _funnel_summary(totals), daily


def _period_dict(period: Period, split: _Split) -> dict:
    return {
        "start": period.start,
        "end": period.end,
        "days": period.days,
        "timezone": "UTC",
        "rolled_up_through": split.complete_through,
    }


def _filters_dict(period: Period) -> dict:
    return {"action_type": period.action_type, "ps_number": period.ps_number}


def funnel_get(*, period: Period) -> dict:
    split = _split(period)
    summary, daily = _funnel(period, split)
    return {"period": _period_dict(period, split), "filters": _filters_dict(period), **summary, "daily": daily}


# --- orders, parts, alerts, cost --------------------------------------------------------------


def _orders_queryset(period: Period, start: datetime, end: datetime):
    orders = paid_orders(start, end)
    if period.ps_number:
        orders = orders.filter(Exists(OrderLine.objects.filter(order_id=OuterRef("pk"), sku=period.ps_number)))
    if period.action_type:
        orders = orders.filter(action__type=period.action_type)
    return orders


def _order_rows(period: Period, split: _Split):
    """(day, source, currency, orders, revenue) rows: rollups for whole days, orders after."""
    if split.rolled:
        days = {"day__gte": split.rolled[0], "day__lte": split.rolled[1]}
        if period.action_type:
            days["action_type"] = period.action_type
        if period.ps_number:  # orders containing the part, each order's revenue once
            rolled = OrderSkuDailyRollup.objects.filter(sku=period.ps_number, **days).values(
                "day", "order_source", "currency"
            )
            yield from rolled.annotate(n=Sum("orders"), revenue=Sum("order_revenue")).values_list(
                "day", "order_source", "currency", "n", "revenue"
            )
        else:
            rolled = OrderDailyRollup.objects.filter(**days).values("day", "order_source", "currency")
            yield from rolled.annotate(n=Sum("orders"), r=Sum("revenue")).values_list(
                "day", "order_source", "currency", "n", "r"
            )
    if split.raw:
        yield from (
            _orders_queryset(period, *split.raw)
            .annotate(day=TruncDate("created_at"))
            .values("day", "order_source", "currency")
            .annotate(
                n=Count("id"), revenue=Sum(net_revenue(), output_field=DecimalField(max_digits=16, decimal_places=2))
            )
            .values_list("day", "order_source", "currency", "n", "revenue")
        )


def _orders(period: Period, split: _Split) -> tuple[list[dict], dict[date, dict], dict]:
    """Per source and currency: orders, revenue, AOV; per day: orders and revenue by source."""
    by_source: dict[tuple[str, str], list] = defaultdict(lambda: [0, Decimal(0)])
    by_day: dict[date, dict] = defaultdict(lambda: defaultdict(lambda: [0, Decimal(0)]))
    for day, source, currency, n, revenue in _order_rows(period, split):
        by_source[(source, currency)][0] += n
        by_source[(source, currency)][1] += revenue or 0
        by_day[day][source][0] += n
        by_day[day][source][1] += revenue or 0
    summary = []
    for (source, currency), (n, revenue) in sorted(by_source.items()):
        summary.append(
            {
                "order_source": source,
                "currency": currency,
                "orders": n,
                "revenue": _money(revenue),
                "aov": _money(revenue / n) if n else None,
            }
        )
    uplift = {}
    for currency in sorted({c for _, c in by_source}):
        chat = by_source.get(("conversational", currency))
        other = by_source.get(("traditional", currency))
        if chat and other and chat[0] and other[0]:
            chat_aov, other_aov = chat[1] / chat[0], other[1] / other[0]
            uplift[currency] = _pct(chat_aov - other_aov, other_aov)
    return summary, by_day, uplift


def _sales(period: Period, split: _Split) -> list[dict]:
    """Top parts by revenue: per part and currency, quantity, orders and line revenue."""
    totals: dict[tuple[str, str], list] = defaultdict(lambda: [0, 0, Decimal(0)])
    if split.rolled:
        rolled = OrderSkuDailyRollup.objects.filter(day__gte=split.rolled[0], day__lte=split.rolled[1])
        if period.ps_number:
            rolled = rolled.filter(sku=period.ps_number)
        if period.action_type:
            rolled = rolled.filter(action_type=period.action_type)
        rows = (
            rolled.values("sku", "currency")
            .annotate(q=Sum("quantity"), n=Sum("orders"), r=Sum("line_revenue"))
            .values_list("sku", "currency", "q", "n", "r")
        )
        for sku, currency, quantity, orders, revenue in rows:
            row = totals[(sku, currency)]
            row[0], row[1], row[2] = row[0] + quantity, row[1] + orders, row[2] + revenue
    if split.raw:
        lines = OrderLine.objects.filter(order__in=_orders_queryset(period, *split.raw))
        if period.ps_number:
            lines = lines.filter(sku=period.ps_number)
        rows = (
            lines.values("sku", "order__currency")
            .annotate(q=Sum("quantity"), n=Count("order_id", distinct=True), r=Sum("line_total"))
            .values_list("sku", "order__currency", "q", "n", "r")
        )
        for sku, currency, quantity, orders, revenue in rows:
            row = totals[(sku, currency)]
            row[0], row[1], row[2] = row[0] + quantity, row[1] + orders, row[2] + revenue
    ranked = sorted(totals.items(), key=lambda item: (-item[1][2], item[0][0]))[:TOP_N]
    return [
        {"ps_number": sku, "currency": currency, "quantity": q, "orders": n, "revenue": _money(r)}
        for (sku, currency), (q, n, r) in ranked
    ]


def _top_parts(period: Period, split: _Split) -> dict:
    counts = event_counts(
        period,
        split,
        names=[EventName.INTENT_DETECTED, EventName.ACTION_RENDERED],
        group_by=("name", "ps_number"),
    )
    mentions = sorted(
        ((ps, n) for (name, ps), n in counts.items() if name == EventName.INTENT_DETECTED and ps),
        key=lambda item: (-item[1], item[0]),
    )[:TOP_N]
    recommendations = sorted(
        ((ps, n) for (name, ps), n in counts.items() if name == EventName.ACTION_RENDERED and ps),
        key=lambda item: (-item[1], item[0]),
    )[:TOP_N]
    sales = _sales(period, split)
    skus = {ps for ps, _ in mentions} | {ps for ps, _ in recommendations} | {row["ps_number"] for row in sales}
    names = dict(Product.objects.filter(ps_number__in=skus).values_list("ps_number", "name"))
    return {
        "mentions": [{"ps_number": ps, "name": names.get(ps, ""), "count": n} for ps, n in mentions],
        "recommendations": [{"ps_number": ps, "name": names.get(ps, ""), "count": n} for ps, n in recommendations],
        "sales": [
            {
                "ps_number": row["ps_number"],
                "name": names.get(row["ps_number"], ""),
                "currency": row["currency"],
                "quantity": row["quantity"],
                "orders": row["orders"],
                "revenue": row["revenue"],
            }
            for row in sales
        ],
    }


def _alerts(period: Period) -> dict:
    start, end = period.bounds
    subscriptions = BackInStockSubscription.objects.filter(created_at__gte=start, created_at__lt=end)
    if period.ps_number:
        subscriptions = subscriptions.filter(product__ps_number=period.ps_number)
    bought_after_notice = OrderLine.objects.filter(
        Q(order__customer_id=OuterRef("customer_id")) | Q(order__conversation_id=OuterRef("conversation_id")),
        product_id=OuterRef("product_id"),
        order__status__in=PAID_STATUSES,
        order__created_at__gte=OuterRef("notified_at"),
    )
    figures = subscriptions.aggregate(
        subscriptions=Count("id"),
        pending=Count("id", filter=Q(status="pending")),
        active=Count("id", filter=Q(status="active")),
        notified=Count("id", filter=Q(notified_at__isnull=False)),
        unsubscribed=Count("id", filter=Q(status="unsubscribed")),
        converted=Count("id", filter=Q(Exists(bought_after_notice), notified_at__isnull=False)),
    )
    figures["conversion_percent"] = _pct(figures["converted"], figures["notified"])
    return figures


def _assistant_cost(period: Period, split: _Split) -> dict:
    decimal = DecimalField(max_digits=16, decimal_places=6)
    totals = {"replies": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": Decimal(0)}
    if split.rolled:
        rolled = UsageDailyRollup.objects.filter(day__gte=split.rolled[0], day__lte=split.rolled[1]).aggregate(
            replies=Sum("replies"),
            prompt_tokens=Sum("prompt_tokens"),
            completion_tokens=Sum("completion_tokens"),
            cost_usd=Sum("cost_usd"),
        )
        for key in totals:
            totals[key] += rolled[key] or 0
    if split.raw:
        raw = assistant_usage_queryset(*split.raw).aggregate(
            replies=Count("id"),
            prompt_tokens=_usage_number("prompt_tokens", BigIntegerField()),
            completion_tokens=_usage_number("completion_tokens", BigIntegerField()),
            cost_usd=_usage_number("cost_usd", decimal),
        )
        for key in totals:
            totals[key] += raw[key] or 0
    return totals


def _cost_dict(totals: dict, conversations: int, chat_orders: int) -> dict:
    cost = Decimal(totals["cost_usd"])
    return {
        "replies": totals["replies"],
        "prompt_tokens": totals["prompt_tokens"],
        "completion_tokens": totals["completion_tokens"],
        "cost_usd": str(cost.quantize(Decimal("0.000001"))),
        "conversations": conversations,
        "conversational_orders": chat_orders,
        "per_conversation_usd": str((cost / conversations).quantize(Decimal("0.000001"))) if conversations else None,
        "per_order_usd": str((cost / chat_orders).quantize(Decimal("0.000001"))) if chat_orders else None,
    }


ACTION_EVENTS = [
    EventName.ACTION_RENDERED,
    EventName.ACTION_CLICKED,
    EventName.ACTION_SUCCEEDED,
    EventName.ACTION_FAILED,
]


def _actions(period: Period, split: _Split) -> list[dict]:
    counts = event_counts(period, split, names=ACTION_EVENTS, group_by=("name", "source", "action_type"))
    by_type: dict[str, dict] = defaultdict(
        lambda: {"rendered": 0, "clicked": 0, "client_clicks": 0, "succeeded": 0, "failed": 0}
    )
    for (name, source, action_type), n in counts.items():
        if not action_type:
            continue
        row = by_type[action_type]
        if name == EventName.ACTION_RENDERED:
            row["rendered"] += n
        elif name == EventName.ACTION_CLICKED:
            row["clicked" if source == EventSource.SERVER else "client_clicks"] += n
        elif name == EventName.ACTION_SUCCEEDED:
            row["succeeded"] += n
        else:
            row["failed"] += n
    return [
        {
            "action_type": action_type,
            **row,
            "click_through_percent": _pct(row["clicked"], row["rendered"]),
            "success_percent": _pct(row["succeeded"], row["clicked"]),
        }
        for action_type, row in sorted(by_type.items(), key=lambda item: (-item[1]["rendered"], item[0]))
    ]


def day_summary_get(*, day: date) -> dict:
    """One day's headline figures, by the dashboard's definitions (the admin's landing page):
    orders and revenue per currency (every source), conversations started, chat → payment."""
    period = Period(start=day, end=day)
    split = _split(period)
    funnel, _ = _funnel(period, split)
    orders, _, _ = _orders(period, split)
    by_currency: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
    for row in orders:
        by_currency[row["currency"]][0] += row["orders"]
        by_currency[row["currency"]][1] += Decimal(row["revenue"])
    return {
        "day": day,
        "orders": sum(n for n, _ in by_currency.values()),
        "revenue": [
            {"currency": currency, "orders": n, "amount": _money(amount)}
            for currency, (n, amount) in sorted(by_currency.items())
        ],
        "conversations": funnel["conversations"],
        "chat_to_payment_percent": funnel["chat_to_payment_percent"],
    }


def dashboard_get(*, period: Period) -> dict:
    """Everything the operators' dashboard shows, for one period and set of filters."""
    split = _split(period)
    funnel, funnel_daily = _funnel(period, split)
    orders, orders_by_day, uplift = _orders(period, split)
    trend_names = [str(n) for n in EventName]
    events_by_day = event_counts(period, split, names=trend_names, group_by=("day", "name"))
    chat_orders = sum(row["orders"] for row in orders if row["order_source"] == "conversational")
    daily = []
    for row in funnel_daily:
        day = row["day"]
        day_orders = orders_by_day.get(day, {})
        chat, other = day_orders.get("conversational", [0, 0]), day_orders.get("traditional", [0, 0])
        daily.append(
            {
                **row,
                "events": {name: events_by_day.get((day, name), 0) for name in trend_names},
                "orders_conversational": chat[0],
                "orders_traditional": other[0],
                "revenue_conversational": _money(chat[1]),
                "revenue_traditional": _money(other[1]),
            }
        )
    attributed = [
        {"currency": row["currency"], "orders": row["orders"], "revenue": row["revenue"]}
        for row in orders
        if row["order_source"] == "conversational"
    ]
    return {
        "period": _period_dict(period, split),
        "filters": _filters_dict(period),
        "generated_at": timezone.now().astimezone(UTC),
        "overview": {
            "conversations": funnel["conversations"],
            "paid_conversations": funnel["steps"][-1]["conversations"],
            "chat_to_payment_percent": funnel["chat_to_payment_percent"],
            "intent_to_payment_percent": funnel["intent_to_payment_percent"],
            "link_click_to_payment_percent": funnel["link_click_to_payment_percent"],
            "revenue_attributed": attributed,
            "aov_uplift_percent": uplift,
        },
        "funnel": funnel,
        "orders": orders,
        "actions": _actions(period, split),
        "top_parts": _top_parts(period, split),
        "alerts": _alerts(period),
        "assistant_cost": _cost_dict(_assistant_cost(period, split), funnel["conversations"], chat_orders),
        "handoff": handoff_metrics_get(period=period),
        "daily": daily,
    }


__all__ = ["Period", "dashboard_get", "day_summary_get", "event_counts", "funnel_get"]
