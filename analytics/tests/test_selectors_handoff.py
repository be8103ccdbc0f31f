"""The handoff figures from real handoffs: CSAT per operator and overall, first response, resolve."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from analytics.selectors.dashboard import Period
from analytics.selectors.handoff import handoff_metrics_get
from conversations.models import Handoff
from conversations.services.handoff import handoff_claim, handoff_rate, handoff_request, handoff_resolve
from conversations.services.operator_replies import operator_reply_send
from conversations.tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db(transaction=True)  # events are written on commit


def staff(name):
    return get_user_model().objects.create_user(username=name.lower(), password="x", is_staff=True, first_name=name)


def handled(operator, *, score, waited_minutes):
    conversation = ConversationFactory()
    handoff = handoff_request(conversation=conversation)
    # As if asked for earlier: the figures are measured from the request.
    Handoff.objects.filter(pk=handoff.pk).update(requested_at=timezone.now() - timedelta(minutes=waited_minutes))
    handoff_claim(conversation_id=conversation.id, operator=operator)
    operator_reply_send(conversation_id=conversation.id, operator=operator, content="Hello!")
    handoff_resolve(conversation_id=conversation.id, actor=operator)
    if score is not None:
        handoff_rate(conversation=conversation, score=score)


def test_csat_first_response_and_resolve_overall_and_per_operator():
    dana, sam = staff("Dana"), staff("Sam")
    handled(dana, score=5, waited_minutes=2)
    handled(dana, score=3, waited_minutes=4)
    handled(sam, score=4, waited_minutes=10)
    handled(sam, score=None, waited_minutes=1)
    today = timezone.now().date()
    figures = handoff_metrics_get(period=Period(start=today, end=today))

    assert figures["requests"] == {"count": 4, "afterHours": 0}
    csat = figures["csat"]
    assert (csat["count"], csat["average"], csat["satisfiedPercent"]) == (3, 4.0, 66.7)
    per = {row["operatorName"]: row for row in csat["perOperator"]}
    assert (per["Dana"]["count"], per["Dana"]["average"], per["Dana"]["satisfiedPercent"]) == (2, 4.0, 50.0)
    assert (per["Sam"]["count"], per["Sam"]["average"]) == (1, 4.0)

    # Exactly what the handoffs' own times say (the services record both from the same instant).
    handoffs = list(Handoff.objects.select_related("operator"))
    waits = [(h.first_response_at - h.requested_at).total_seconds() for h in handoffs]
    first = figures["firstResponse"]
    assert first["count"] == 4
    assert first["averageSeconds"] == round(sum(waits) / 4, 1) and first["slowestSeconds"] == round(max(waits), 1)
    assert first["slowestSeconds"] >= 10 * 60
    dana_resolve = [(h.resolved_at - h.requested_at).total_seconds() for h in handoffs if h.operator == dana]
    by_operator = {row["operatorName"]: row for row in figures["timeToResolve"]["perOperator"]}
    assert by_operator["Dana"]["count"] == 2
    assert by_operator["Dana"]["averageSeconds"] == round(sum(dana_resolve) / 2, 1)

    yesterday = today - timedelta(days=1)
    empty = handoff_metrics_get(period=Period(start=yesterday, end=yesterday))
    assert (
        empty["csat"]["count"] == 0 and empty["csat"]["average"] is None and empty["firstResponse"]["perOperator"] == []
    )


def test_the_api_is_staff_only(client):
    assert client.get("/api/admin/analytics/handoff").status_code in (401, 403)
    admin = staff("Ada")
    client.force_login(admin)
    answer = client.get("/api/admin/analytics/handoff", {"days": 7})
    assert answer.status_code == 200 and answer.json()["csat"]["count"] == 0
    assert client.get("/api/admin/analytics/handoff", {"days": 0}).status_code == 400
    # The dashboard carries the same figures (its "People who took over" card).
    assert client.get("/api/admin/dashboard").json()["handoff"]["requests"] == {"count": 0, "afterHours": 0}
