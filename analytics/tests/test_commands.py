"""manage.py generate_events and analytics_backfill; the beat task."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics.models import ConversationFunnel, Event, RollupState
from analytics.selectors import Period, dashboard_get
from checkout.models import Order


@pytest.fixture
def generated(shop):
    call_command("generate_events", "3000", "--seed", "7", "--no-progress")


def test_generate_events_makes_exactly_n_events_over_the_period(generated):
    assert Event.objects.count() == 3000
    assert not Event.objects.filter(occurred_at__gt=timezone.now()).exists()
    oldest = Event.objects.order_by("occurred_at").first().occurred_at
    assert oldest.date() >= timezone.now().date() - timedelta(days=89)
    assert Event.objects.filter(event_id__startswith="syn").count() == 3000
    # some of everything the dashboard shows
    names = set(Event.objects.values_list("name", flat=True).distinct())
    assert {
        "chat_opened",
        "message_sent",
        "purchase_intent_detected",
        "payment_link_clicked",
        "payment_completed",
    } <= names
    assert Order.objects.filter(provider="synthetic", order_source="conversational").exists()
    assert Order.objects.filter(provider="synthetic", order_source="traditional").exists()


def test_generated_traffic_has_a_funnel_shape(generated):
    today = timezone.now().date()
    result = dashboard_get(period=Period(start=today - timedelta(days=89), end=today))
    steps = [s["conversations"] for s in result["funnel"]["steps"]]
    assert steps == sorted(steps, reverse=True) and steps[-1] > 0
    assert 0 < result["funnel"]["chat_to_payment_percent"] < 50
    paid_events = Event.objects.filter(name="payment_completed").count()
    assert Order.objects.filter(order_source="conversational").count() == paid_events


def test_backfill_gives_the_same_figures_as_raw_events(generated):
    today = timezone.now().date()
    period = Period(start=today - timedelta(days=89), end=today)
    raw = dashboard_get(period=period)

    call_command("analytics_backfill", "--no-progress")

    state = RollupState.objects.get()
    assert state.complete_through == today - timedelta(days=1)
    assert state.last_event_id == Event.objects.order_by("-id").first().id
    rolled = dashboard_get(period=period)
    assert rolled["period"]["rolled_up_through"] == today - timedelta(days=1)
    for result in (raw, rolled):
        result.pop("generated_at")
        result["period"].pop("rolled_up_through")
    assert rolled == raw
    assert ConversationFunnel.objects.count() == raw["funnel"]["conversations"]


def test_generate_events_clear_removes_only_synthetic_data(generated):
    Event.objects.create(event_id="srv_real", name="chat_opened", occurred_at=timezone.now())
    call_command("generate_events", "10", "--clear", "--no-orders", "--no-progress")
    assert Event.objects.filter(event_id__startswith="syn").count() == 10
    assert Event.objects.filter(event_id="srv_real").exists()
    assert not Order.objects.filter(provider="synthetic").exists()


def test_generate_events_refuses_nonsense(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("generate_events", "0", "--no-progress")
    with pytest.raises(CommandError):
        call_command("generate_events", "10", "--days", "0", "--no-progress")


def test_the_beat_task_rolls_up_and_runs_twice_harmlessly(shop):
    from analytics.tasks import analytics_rollups_refresh_task

    call_command("generate_events", "500", "--seed", "3", "--no-progress", "--no-orders")
    Event.objects.update(received_at=timezone.now() - timedelta(minutes=1))  # past the commit grace

    assert analytics_rollups_refresh_task.delay().get() == 500
    assert analytics_rollups_refresh_task.delay().get() == 0
    state = RollupState.objects.get()
    assert state.last_event_id == Event.objects.order_by("-id").first().id
    assert ConversationFunnel.objects.exists()


def test_the_task_is_on_the_bulk_queue_and_scheduled():
    from django.conf import settings

    from analytics.tasks import analytics_rollups_refresh_task

    assert analytics_rollups_refresh_task.queue == "bulk"
    assert analytics_rollups_refresh_task.acks_late and analytics_rollups_refresh_task.reject_on_worker_lost
    entry = settings.CELERY_BEAT_SCHEDULE["analytics-rollups-refresh"]
    assert entry["task"] == analytics_rollups_refresh_task.name


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_refresh_skips_while_one_is_running():
    """Two workers, one refresh: the advisory lock makes the second return at once."""
    import psycopg
    from django.db import connection

    from analytics.services.rollups import _LOCK_ID, analytics_rollups_refresh

    settings_dict = connection.settings_dict
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        password=settings_dict["PASSWORD"] or None,
    )
    with psycopg.connect(conninfo, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [_LOCK_ID])
        assert analytics_rollups_refresh().ran is False
        other.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_ID])
    assert analytics_rollups_refresh().ran is True
