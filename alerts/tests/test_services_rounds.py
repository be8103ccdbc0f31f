"""Restocks tell subscribers oldest first, in waves sized to the stock, exactly once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from alerts.enums import RoundStatus, SubscriptionStatus
from alerts.models import AlertNotice, BackInStockSubscription, RestockRound
from alerts.services.rounds import restock_round_advance, stock_change_process
from analytics.models import Event


def told(product=None):
    return [message.to[0] for message in mail.outbox if "Back in stock" in message.subject]


@pytest.mark.django_db
def test_restock_tells_the_oldest_subscribers_in_a_wave_sized_to_the_stock(out_of_stock, subscribe, restock, settings):
    settings.ALERTS_WAVE_MULTIPLE = 2
    subscribe(out_of_stock, 10)
    restock(out_of_stock, 3)

    assert told() == [f"person{i}@example.com" for i in range(6)]
    rnd = RestockRound.objects.get()
    assert rnd.restock_key == "PS11750057:restock:1" and rnd.status == RoundStatus.OPEN and rnd.waves == 1
    assert AlertNotice.objects.filter(delivery__status="sent").count() == 6
    notified = BackInStockSubscription.objects.filter(status=SubscriptionStatus.NOTIFIED)
    assert sorted(notified.values_list("contact", flat=True)) == sorted(told())
    assert Event.objects.filter(name="alert_notified", ps_number="PS11750057").count() == 6


@pytest.mark.django_db
def test_the_next_wave_comes_after_the_delay_while_stock_remains_then_the_round_closes(
    out_of_stock, subscribe, restock, settings, django_capture_on_commit_callbacks
):
    settings.ALERTS_WAVE_MULTIPLE = 1
    subscribe(out_of_stock, 5)
    restock(out_of_stock, 2)
    rnd = RestockRound.objects.get()
    assert len(told()) == 2

    with django_capture_on_commit_callbacks(execute=True):
        assert restock_round_advance(round_id=rnd.pk) == 0  # not due yet
    RestockRound.objects.filter(pk=rnd.pk).update(next_wave_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert restock_round_advance(round_id=rnd.pk) == 2
    RestockRound.objects.filter(pk=rnd.pk).update(next_wave_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert restock_round_advance(round_id=rnd.pk) == 1
    RestockRound.objects.filter(pk=rnd.pk).update(next_wave_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert restock_round_advance(round_id=rnd.pk) == 0

    assert told() == [f"person{i}@example.com" for i in range(5)]
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.CLOSED and rnd.close_reason == "everyone_told" and rnd.waves == 3


@pytest.mark.django_db
def test_stock_running_out_closes_the_round_and_nobody_else_is_told(
    out_of_stock, subscribe, restock, settings, django_capture_on_commit_callbacks
):
    settings.ALERTS_WAVE_MULTIPLE = 1
    subscribe(out_of_stock, 4)
    restock(out_of_stock, 1)
    restock(out_of_stock, 0)
    rnd = RestockRound.objects.get()
    assert rnd.status == RoundStatus.CLOSED and rnd.close_reason == "stock_out"
    RestockRound.objects.filter(pk=rnd.pk).update(next_wave_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert restock_round_advance(round_id=rnd.pk) == 0
    assert told() == ["person0@example.com"]

    # The next restock is a new round: the one already told is not told again, the next one is.
    restock(out_of_stock, 1)
    assert told() == ["person0@example.com", "person1@example.com"]
    assert list(RestockRound.objects.order_by("number").values_list("restock_key", flat=True)) == [
        "PS11750057:restock:1",
        "PS11750057:restock:2",
    ]


@pytest.mark.django_db
def test_the_same_stock_update_twice_tells_nobody_twice(
    out_of_stock, subscribe, restock, django_capture_on_commit_callbacks
):
    subscribe(out_of_stock, 3)
    restock(out_of_stock, 5)
    for _ in range(2):  # the same signal delivered again, later
        with django_capture_on_commit_callbacks(execute=True):
            stock_change_process(product_id=out_of_stock.pk, old_quantity=0, new_quantity=5)
    assert sorted(told()) == [f"person{i}@example.com" for i in range(3)]
    assert RestockRound.objects.count() == 1
    assert AlertNotice.objects.count() == 3


@pytest.mark.django_db
def test_a_part_nobody_waits_for_opens_no_round(out_of_stock, restock):
    restock(out_of_stock, 5)
    assert RestockRound.objects.count() == 0


@pytest.mark.django_db
def test_more_of_a_part_already_in_stock_is_not_a_restock(shop, subscribe, restock):
    subscribe(shop["rack"], 2)  # subscribed somehow while in stock (e.g. imported)
    restock(shop["rack"], 20)
    assert RestockRound.objects.count() == 0 and told() == []
