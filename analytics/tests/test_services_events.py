from datetime import UTC, datetime

import pytest

from analytics.enums import EventName
from analytics.models import Event
from analytics.selectors import event_ids_recorded
from analytics.services import ServerEvent, events_record_many

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _notified(n: int) -> ServerEvent:
    return ServerEvent(
        event_id=f"alert_notified:{n}",
        name=EventName.ALERT_NOTIFIED,
        occurred_at=WHEN,
        ps_number="PS11750057",
        properties={"notice_id": n},
    )


def test_many_server_events_are_written_once_whatever_the_reruns():
    events_record_many(events=[_notified(1), _notified(2)])
    events_record_many(events=[_notified(2), _notified(3)])  # a re-run after a worker died

    rows = Event.objects.order_by("event_id").values_list("event_id", "name", "source", "ps_number", "occurred_at")
    assert list(rows) == [(f"alert_notified:{n}", "alert_notified", "server", "PS11750057", WHEN) for n in (1, 2, 3)]
    assert event_ids_recorded(event_ids=["alert_notified:2", "alert_notified:9"]) == {"alert_notified:2"}
