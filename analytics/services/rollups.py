"""Rollups: the daily tables the dashboard reads instead of scanning millions of events.

Three derived tables, each rebuilt from its source with set-based SQL (`INSERT … SELECT …
GROUP BY`), never by looping over events in Python:

- EventDailyRollup: events per UTC day × name × source × action type × part.
- ConversationFunnel (one row per conversation) → FunnelDailyRollup: per cohort day (the day of
  a conversation's first event) × first-touch part × first-touch action type, how many
  conversations started and how many reached each funnel step.
- UsageDailyRollup: assistant replies, tokens and cost per day, from Message.metadata["usage"].

`analytics_rollups_refresh` is incremental (the beat task, every minute): it looks at events
with ids above the last watermark, rebuilds the days and conversations they touch (plus today
and yesterday), and advances `RollupState.complete_through` to yesterday. Selectors read rollups
up to `complete_through` and raw events after it, so a stalled beat makes the dashboard slower,
never wrong. `analytics_rollups_rebuild` (manage.py analytics_backfill) rebuilds everything,
one day per transaction, with a progress callback.
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
from analytics.models import (
    ConversationFunnel,
    Event,
    EventDailyRollup,
    EventDailyTypeRollup,
    FunnelDailyRollup,
    RollupState,
    UsageDailyRollup,
)

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


def _insert_select(model, columns: list[str], queryset: QuerySet) -> None:
    """`INSERT INTO model (columns) <queryset's SELECT>`; the queryset is a values_list in that order."""
    sql, params = queryset.query.sql_with_params()
    qn = connection.ops.quote_name
    cols = ", ".join(qn(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(model._meta.db_table)} ({cols}) {sql}", params)


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


# --- the three rebuilds -----------------------------------------------------------------


def _event_day_rebuild(day: date) -> None:
    start, end = day_bounds(day)
    EventDailyRollup.objects.filter(day=day).delete()
    EventDailyTypeRollup.objects.filter(day=day).delete()
    rows = (
        Event.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .values("name", "source", "action_type", "ps_number")
        .annotate(day=Value(day), events=Count("id"))
        .values_list("day", "name", "source", "action_type", "ps_number", "events")
    )
    _insert_select(EventDailyRollup, ["day", "name", "source", "action_type", "ps_number", "events"], rows)
    narrow = (
        EventDailyRollup.objects.filter(day=day)
        .values("day", "name", "source", "action_type")
        .annotate(n=Sum("events"))
        .values_list("day", "name", "source", "action_type", "n")
    )
    _insert_select(EventDailyTypeRollup, ["day", "name", "source", "action_type", "events"], narrow)


def _step_flag(name: str):
    return Max(Case(When(name=name, then=Value(1)), default=Value(0), output_field=IntegerField()))


def _first_touch(column: str):
    """The value of `column` on a conversation's earliest event that has one."""
    return Coalesce(
        Subquery(
            Event.objects.filter(conversation_id=OuterRef("conversation_id"))
            .exclude(**{column: ""})
            .order_by("occurred_at", "id")
            .values(column)[:1]
        ),
        Value(""),
    )


def _conversations_rebuild(conversation_ids: QuerySet) -> set[date]:
    """Recompute ConversationFunnel rows for these conversations (a values('conversation_id')
    queryset); returns every cohort day whose totals may have changed (old and new)."""
    existing = ConversationFunnel.objects.filter(conversation_id__in=conversation_ids)
    days = set(existing.values_list("day", flat=True).distinct())
    existing.delete()
    step_columns = [str(step) for step in FUNNEL_STEPS]
    rows = (
        Event.objects.filter(conversation_id__in=conversation_ids)
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
    _insert_select(
        ConversationFunnel, ["conversation_id", "started_at", "day", "ps_number", "action_type", *step_columns], rows
    )
    fresh = ConversationFunnel.objects.filter(conversation_id__in=conversation_ids)
    fresh.update(ps_number=_first_touch("ps_number"), action_type=_first_touch("action_type"))
    days |= set(fresh.values_list("day", flat=True).distinct())
    return days


def _funnel_days_rebuild(days: Iterable[date]) -> None:
    days = sorted(days)
    step_columns = [str(step) for step in FUNNEL_STEPS]
    for chunk_start in range(0, len(days), 100):
        chunk = days[chunk_start : chunk_start + 100]
        FunnelDailyRollup.objects.filter(day__in=chunk).delete()
        rows = (
            ConversationFunnel.objects.filter(day__in=chunk)
            .values("day", "ps_number", "action_type")
            .annotate(n=Count("*"), **{f"n_{step}": Sum(step) for step in step_columns})
            .values_list("day", "ps_number", "action_type", "n", *[f"n_{step}" for step in step_columns])
        )
        _insert_select(FunnelDailyRollup, ["day", "ps_number", "action_type", "conversations", *step_columns], rows)


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
    from conversations.enums import Role
    from conversations.models import Message

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


# --- public services ----------------------------------------------------------------------


def analytics_rollups_refresh(*, now: datetime | None = None) -> RefreshResult:
    """Bring the rollups up to date with the events stored since the last run (idempotent)."""
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
        event_days = set(new.annotate(d=TruncDate("occurred_at")).values_list("d", flat=True).distinct())
        event_days |= {yesterday, today}
        for day in sorted(event_days):
            _event_day_rebuild(day)
        cohort_days = _conversations_rebuild(new.exclude(conversation_id="").values("conversation_id"))
        _funnel_days_rebuild(cohort_days)
        usage_from = state.refreshed_at.astimezone(UTC).date() if state.refreshed_at else None
        if usage_from is None:
            from conversations.models import Message

            first = Message.objects.aggregate(m=Min("created_at"))["m"]
            usage_from = first.astimezone(UTC).date() if first else yesterday
        for day in _dates(min(usage_from, yesterday), today):
            _usage_day_rebuild(day)
        count = new.count()
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
    """Throw every rollup away and rebuild it from events and messages, one day per transaction.

    While it runs the dashboard reads raw events (complete_through is cleared first), so it is
    slower but right. `on_total(n)` is told how many steps there are, `progress(1)` after each.
    """
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    with _exclusive(wait=True):
        with transaction.atomic():
            state, _ = RollupState.objects.select_for_update().get_or_create(key=STATE_KEY)
            hi = Event.objects.aggregate(m=Max("id"))["m"] or 0
            state.complete_through = None
            state.last_event_id = 0
            state.save()
            for model in (
                EventDailyRollup,
                EventDailyTypeRollup,
                ConversationFunnel,
                FunnelDailyRollup,
                UsageDailyRollup,
            ):
                model.objects.all().delete()
        bounds = Event.objects.filter(id__lte=hi).aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
        from conversations.models import Message

        messages = Message.objects.aggregate(first=Min("created_at"))
        event_days = (
            _dates(bounds["first"].astimezone(UTC).date(), max(bounds["last"].astimezone(UTC).date(), today))
            if bounds["first"]
            else []
        )
        usage_days = _dates(messages["first"].astimezone(UTC).date(), today) if messages["first"] else []
        if on_total:
            on_total(len(event_days) + len(usage_days) + 1)
        cohort_days: set[date] = set()
        for day in event_days:
            start, end = day_bounds(day)
            with transaction.atomic():
                _event_day_rebuild(day)
                day_conversations = (
                    Event.objects.filter(occurred_at__gte=start, occurred_at__lt=end, id__lte=hi)
                    .exclude(conversation_id="")
                    .values("conversation_id")
                )
                cohort_days |= _conversations_rebuild(day_conversations)
            if progress:
                progress(1)
        for day in usage_days:
            with transaction.atomic():
                _usage_day_rebuild(day)
            if progress:
                progress(1)
        with transaction.atomic():
            _funnel_days_rebuild(cohort_days)
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
