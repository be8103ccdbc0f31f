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


def test_the_events_of_one_transaction_are_written_together_once_it_commits(django_capture_on_commit_callbacks):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from analytics.services import event_record

    with django_capture_on_commit_callbacks() as hooks:
        with transaction.atomic():
            event_record(name=EventName.MESSAGE_SENT, conversation_id="conv_a")
            event_record(name=EventName.INTENT_DETECTED, conversation_id="conv_a", intent="search")
            try:
                with transaction.atomic():  # a savepoint that rolls back takes its own event with it
                    event_record(name=EventName.ACTION_RENDERED, conversation_id="conv_a")
                    raise RuntimeError("the caller fails")
            except RuntimeError:
                pass
            event_record(name=EventName.PURCHASE_INTENT_DETECTED, conversation_id="conv_a")
        assert not Event.objects.exists()  # nothing before the commit
    with CaptureQueriesContext(connection) as queries:
        for hook in hooks:
            hook()

    names = list(Event.objects.order_by("id").values_list("name", flat=True))
    assert names == ["message_sent", "intent_detected", "purchase_intent_detected"]
    assert sum(q["sql"].startswith('INSERT INTO "analytics_event"') for q in queries.captured_queries) == 2
    with django_capture_on_commit_callbacks(execute=True):  # a batch that ran is not joined: a new one
        event_record(name=EventName.CHAT_OPENED, conversation_id="conv_b")
    assert Event.objects.filter(name="chat_opened", conversation_id="conv_b").count() == 1


def test_events_written_now_go_with_their_transaction_and_are_not_written_again(django_capture_on_commit_callbacks):
    from django.db import transaction

    from analytics.services import event_record, events_write_now

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event_record(name=EventName.MESSAGE_SENT, conversation_id="conv_a")
        event_record(name=EventName.INTENT_DETECTED, conversation_id="conv_a", intent="search")
        events_write_now()
        assert Event.objects.filter(conversation_id="conv_a").count() == 2  # inside the transaction
    assert Event.objects.filter(conversation_id="conv_a").count() == 2  # the commit wrote nothing more

    try:
        with transaction.atomic():
            event_record(name=EventName.MESSAGE_SENT, conversation_id="conv_b")
            events_write_now()
            raise RuntimeError("the caller fails after writing them")
    except RuntimeError:
        pass
    assert not Event.objects.filter(conversation_id="conv_b").exists()  # rolled back with it


def test_events_of_an_outer_level_wait_for_its_commit(django_capture_on_commit_callbacks):
    from django.db import transaction

    from analytics.services import event_record, events_write_now

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event_record(name=EventName.MESSAGE_SENT, conversation_id="conv_c")
        try:
            with transaction.atomic():  # a savepoint that then rolls back must not take them
                events_write_now()
                raise RuntimeError("the inner block fails")
        except RuntimeError:
            pass
        assert not Event.objects.filter(conversation_id="conv_c").exists()
    assert Event.objects.filter(conversation_id="conv_c").count() == 1
