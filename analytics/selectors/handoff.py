"""The team's figures from the handoff events (conversations records them; see its services/handoff.py):

- CSAT: the average rating (1-5), how many ratings, and the share of 4s and 5s, overall and per
  operator (`handoff_rated`, each handoff rated at most once).
- First-response time: seconds from the request for a person to an operator's first message
  (`handoff_first_response`), average and slowest, overall and per operator.
- Time to resolve: seconds from the request to its resolution (`handoff_resolved`), likewise.
- Requests: how many times a person was asked for, and how many of those out of shop hours.

One SQL aggregate over the period's events (by when they happened), grouped by event name and
the operator the event names; the overall figures are those few groups weighted by their counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Avg, Count, FloatField, IntegerField, Max, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce

from analytics.enums import EventName
from analytics.models import Event

if TYPE_CHECKING:
    from analytics.selectors.dashboard import Period

NAMES = (
    EventName.HANDOFF_REQUESTED,
    EventName.HANDOFF_FIRST_RESPONSE,
    EventName.HANDOFF_RESOLVED,
    EventName.HANDOFF_RATED,
)


def _rounded(value, digits=1):
    return round(float(value), digits) if value is not None else None


def _groups(period: Period) -> list[dict]:
    start, end = period.bounds
    return list(
        Event.objects.filter(name__in=NAMES, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(
            seconds=Cast(
                Coalesce(KT("properties__seconds_to_first_response"), KT("properties__seconds_to_resolve")),
                FloatField(),
            ),
            score=Cast(KT("properties__score"), IntegerField()),
            operator_id=Cast(KT("properties__operator_id"), IntegerField()),
            operator_name=KT("properties__operator_name"),
        )
        .values("name", "operator_id", "operator_name")
        .annotate(
            count=Count("id"),
            average=Avg("seconds"),
            slowest=Max("seconds"),
            average_score=Avg("score"),
            satisfied=Count("id", filter=Q(score__gte=4)),
            after_hours=Count("id", filter=Q(properties__after_hours=True)),
        )
        .order_by("name", "operator_name", "operator_id")
    )


def _weighted(rows: list[dict], key: str) -> float | None:
    measured = [(row[key], row["count"]) for row in rows if row[key] is not None]
    total = sum(count for _value, count in measured)
    return sum(value * count for value, count in measured) / total if total else None


def _timing(rows: list[dict]) -> dict:
    slowest = [row["slowest"] for row in rows if row["slowest"] is not None]
    return {
        "count": sum(row["count"] for row in rows),
        "averageSeconds": _rounded(_weighted(rows, "average")),
        "slowestSeconds": _rounded(max(slowest)) if slowest else None,
        "perOperator": [
            {
                "operatorId": row["operator_id"],
                "operatorName": row["operator_name"] or "",
                "count": row["count"],
                "averageSeconds": _rounded(row["average"]),
                "slowestSeconds": _rounded(row["slowest"]),
            }
            for row in rows
        ],
    }


def _csat_of(count: int, average, satisfied: int) -> dict:
    return {
        "count": count,
        "average": _rounded(average, 2),
        "satisfiedPercent": _rounded(100 * satisfied / count) if count else None,
    }


def _csat(rows: list[dict]) -> dict:
    count = sum(row["count"] for row in rows)
    overall = _csat_of(count, _weighted(rows, "average_score"), sum(row["satisfied"] for row in rows))
    return {
        **overall,
        "perOperator": [
            {
                "operatorId": row["operator_id"],
                "operatorName": row["operator_name"] or "",
                **_csat_of(row["count"], row["average_score"], row["satisfied"]),
            }
            for row in rows
        ],
    }


def handoff_metrics_get(*, period: Period) -> dict:
    groups = _groups(period)

    def named(name: str) -> list[dict]:
        return [row for row in groups if row["name"] == name]

    requests = named(EventName.HANDOFF_REQUESTED)
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "requests": {
            "count": sum(row["count"] for row in requests),
            "afterHours": sum(row["after_hours"] for row in requests),
        },
        "csat": _csat(named(EventName.HANDOFF_RATED)),
        "firstResponse": _timing(named(EventName.HANDOFF_FIRST_RESPONSE)),
        "timeToResolve": _timing(named(EventName.HANDOFF_RESOLVED)),
    }
