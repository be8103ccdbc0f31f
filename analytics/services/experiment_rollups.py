"""Experiment rollups, the same pattern as the conversation funnel (see rollups.py):

- ExperimentVisitor: one row per experiment × visitor, from the visitor's first
  `experiment_assigned` event of that experiment (arm, time, cohort day) and the
  `order_completed` events of the visitor from that moment until the experiment stopped.
- ExperimentDailyRollup: per experiment × arm × cohort day, the visitors and their sums
  (converters, orders, Σ revenue, Σ revenue²): the analysis reads a few rows per day.

The refresh rebuilds the visitors that new events touched, then those visitors' cohort days.
Both steps are set-based SQL that PostgreSQL and SQLite (3.33+, for UPDATE … FROM) both run.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Max, Min, QuerySet, Sum, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import TruncDate

from analytics.enums import EventName
from analytics.models import Event, Experiment, ExperimentDailyRollup, ExperimentVisitor
from analytics.services.sql import insert_select


def _started_experiments() -> list[Experiment]:
    return list(Experiment.objects.filter(started_at__isnull=False).only("id", "stopped_at"))


def _visitors_rebuild(experiment: Experiment, visitors: QuerySet | None, hi: int) -> set[date]:
    """Recompute the experiment's rows for these visitors (a values('visitor_id') queryset; None
    for all of them) from events up to id hi. Returns the cohort days that may have changed."""
    existing = ExperimentVisitor.objects.filter(experiment=experiment)
    assigned = Event.objects.filter(name=EventName.EXPERIMENT_ASSIGNED, id__lte=hi).exclude(visitor_id="")
    if visitors is not None:
        existing = existing.filter(visitor_id__in=visitors)
        assigned = assigned.filter(visitor_id__in=visitors)
    days = set(existing.values_list("day", flat=True).distinct())
    existing.delete()
    rows = (
        assigned.filter(properties__experiment=str(experiment.pk))
        .values("visitor_id")
        .annotate(
            eid=Value(experiment.pk),
            chosen_arm=Max(KT("properties__arm")),
            first=Min("occurred_at"),
            cohort=TruncDate(Min("occurred_at")),
            none=Value(0),
        )
        .values_list("eid", "visitor_id", "chosen_arm", "first", "cohort", "none", "none")
    )
    insert_select(
        ExperimentVisitor, ["experiment", "visitor_id", "arm", "assigned_at", "day", "orders", "revenue"], rows
    )
    _orders_fill(experiment, visitors, hi)
    fresh = ExperimentVisitor.objects.filter(experiment=experiment)
    if visitors is not None:
        fresh = fresh.filter(visitor_id__in=visitors)
    return days | set(fresh.values_list("day", flat=True).distinct())


def _orders_fill(experiment: Experiment, visitors: QuerySet | None, hi: int) -> None:
    """Each visitor's orders and revenue: its order_completed events from its assignment until the
    experiment stopped (orders before assignment were not affected by the arm)."""
    qn = connection.ops.quote_name
    ev = qn(ExperimentVisitor._meta.db_table)
    events = qn(Event._meta.db_table)
    params: list = [str(EventName.ORDER_COMPLETED), hi]
    stop = ""
    if experiment.stopped_at:
        stop = "AND o.occurred_at < %s "
        params.append(connection.ops.adapt_datetimefield_value(experiment.stopped_at))
    params.append(experiment.pk)
    only = ""
    if visitors is not None:
        sub_sql, sub_params = visitors.query.sql_with_params()
        only = f"AND v.visitor_id IN ({sub_sql}) "
        params.extend(sub_params)
    sql = (
        f"UPDATE {ev} SET orders = agg.n, revenue = agg.r FROM ("  # noqa: S608 (identifiers from _meta)
        f"SELECT v.id AS vid, COUNT(o.id) AS n, COALESCE(SUM(o.value), 0) AS r FROM {ev} v "
        # Spelled as the partial index's own condition, so both databases use that index.
        f"JOIN {events} o ON o.visitor_id = v.visitor_id AND NOT (o.visitor_id = '') AND o.name = %s AND o.id <= %s "
        f"AND o.occurred_at >= v.assigned_at {stop}"
        f"WHERE v.experiment_id = %s {only}GROUP BY v.id) AS agg WHERE {ev}.id = agg.vid"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _days_rebuild(experiment_id: int, days: set[date]) -> None:
    days_sorted = sorted(days)
    for start in range(0, len(days_sorted), 100):
        chunk = days_sorted[start : start + 100]
        ExperimentDailyRollup.objects.filter(experiment_id=experiment_id, day__in=chunk).delete()
        rows = (
            ExperimentVisitor.objects.filter(experiment_id=experiment_id, day__in=chunk)
            .values("experiment_id", "arm", "day")
            .annotate(
                n=Count("id"),
                converted=Sum(Case(When(orders__gt=0, then=Value(1)), default=Value(0), output_field=IntegerField())),
                n_orders=Sum("orders"),
                total=Sum("revenue"),
                total_sq=Sum(F("revenue") * F("revenue")),
            )
            .values_list("experiment_id", "arm", "day", "n", "converted", "n_orders", "total", "total_sq")
        )
        insert_select(
            ExperimentDailyRollup,
            ["experiment", "arm", "day", "visitors", "converters", "orders", "revenue", "revenue_sq"],
            rows,
        )


def experiment_rollups_refresh(*, visitors: QuerySet, hi: int) -> int:
    """Rebuild the experiment rows of these visitors (those with new assignment or order events)
    and their cohort days; returns how many days were rebuilt. Runs inside the caller's transaction."""
    touched: dict[int, set[date]] = defaultdict(set)
    for experiment in _started_experiments():
        touched[experiment.pk] |= _visitors_rebuild(experiment, visitors, hi)
    for experiment_id, days in touched.items():
        _days_rebuild(experiment_id, days)
    return sum(len(days) for days in touched.values())


def experiment_rollups_rebuild(*, hi: int) -> None:
    """Every experiment's visitors and days from scratch (the backfill)."""
    ExperimentDailyRollup.objects.all().delete()
    ExperimentVisitor.objects.all().delete()
    for experiment in _started_experiments():
        days = _visitors_rebuild(experiment, None, hi)
        _days_rebuild(experiment.pk, days)
