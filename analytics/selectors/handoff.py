"""The team's figures from the handoff events (conversations records them; see its services/handoff.py):

- CSAT: the average rating (1-5), how many ratings, and the share of 4s and 5s, overall and per
  operator (`handoff_rated`, each handoff rated at most once).
- First-response time: seconds from the request for a person to an operator's first message
  (`handoff_first_response`), average and slowest, overall and per operator.
- Time to resolve: seconds from the request to its resolution (`handoff_resolved`), likewise.
- Requests: how many times a person was asked for, and how many of those out of shop hours.

Each is one SQL aggregate over the period's events (by when the event happened), grouped by
the operator named in the event: no Python loop over rows.
"""

from __future__ import annotations

from django.db.models import Avg, Count, FloatField, IntegerField, Max, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from analytics.enums import EventName
from analytics.models import Event
from analytics.selectors.dashboard import Period


def _rounded(value, digits=1):
    return round(float(value), digits) if value is not None else None


def _timing(events, name: str, key: str) -> dict:
    rows = events.filter(name=name).annotate(
        seconds=Cast(KT(f"properties__{key}"), FloatField()),
        operator_id=Cast(KT("properties__operator_id"), IntegerField()),
        operator_name=KT("properties__operator_name"),
    )
    overall = rows.aggregate(count=Count("id"), average=Avg("seconds"), slowest=Max("seconds"))
    per_operator = (
        rows.values("operator_id", "operator_name")
        .annotate(count=Count("id"), average=Avg("seconds"), slowest=Max("seconds"))
        .order_by("operator_name", "operator_id")
    )
    return {
        "count": overall["count"],
        "averageSeconds": _rounded(overall["average"]),
        "slowestSeconds": _rounded(overall["slowest"]),
        "perOperator": [
            {
                "operatorId": row["operator_id"],
                "operatorName": row["operator_name"] or "",
                "count": row["count"],
                "averageSeconds": _rounded(row["average"]),
                "slowestSeconds": _rounded(row["slowest"]),
            }
            for row in per_operator
        ],
    }


def _csat(events) -> dict:
    rows = events.filter(name=EventName.HANDOFF_RATED).annotate(
        score=Cast(KT("properties__score"), IntegerField()),
        operator_id=Cast(KT("properties__operator_id"), IntegerField()),
        operator_name=KT("properties__operator_name"),
    )
    measures = {"count": Count("id"), "average": Avg("score"), "satisfied": Count("id", filter=Q(score__gte=4))}
    overall = rows.aggregate(**measures)

    def shaped(row: dict) -> dict:
        return {
            "count": row["count"],
            "average": _rounded(row["average"], 2),
            "satisfiedPercent": _rounded(100 * row["satisfied"] / row["count"]) if row["count"] else None,
        }

    per_operator = rows.values("operator_id", "operator_name").annotate(**measures).order_by("operator_name")
    return {
        **shaped(overall),
        "perOperator": [
            {"operatorId": row["operator_id"], "operatorName": row["operator_name"] or "", **shaped(row)}
            for row in per_operator
        ],
    }


def handoff_metrics_get(*, period: Period) -> dict:
    start, end = period.bounds
    events = Event.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    requests = events.filter(name=EventName.HANDOFF_REQUESTED).aggregate(
        count=Count("id"), after_hours=Count("id", filter=Q(properties__after_hours=True))
    )
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "requests": {"count": requests["count"], "afterHours": requests["after_hours"]},
        "csat": _csat(events),
        "firstResponse": _timing(events, EventName.HANDOFF_FIRST_RESPONSE, "seconds_to_first_response"),
        "timeToResolve": _timing(events, EventName.HANDOFF_RESOLVED, "seconds_to_resolve"),
    }
