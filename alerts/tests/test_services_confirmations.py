"""The opt-in message is an outbox delivery: sent after commit with its key, not when nobody waits."""

import pytest
from django.core import mail
from django.db import transaction

from alerts.models import BackInStockSubscription
from alerts.services.confirmations import CONFIRMATION, subscription_confirmation_enqueue
from core.outbox.models import OutboundDelivery
from core.outbox.services import deliveries_resend

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_opt_in_is_sent_once_with_its_delivery_key_and_recorded(out_of_stock):
    sub = BackInStockSubscription.objects.create(
        product=out_of_stock, channel="email", contact="ana@example.com", status="pending"
    )
    with transaction.atomic():
        delivery = subscription_confirmation_enqueue(subscription_id=sub.id)
        assert mail.outbox == []  # nothing before the commit

    delivery.refresh_from_db()
    (email,) = mail.outbox
    assert email.to == ["ana@example.com"] and "Confirm" in email.subject
    assert email.extra_headers["Message-ID"].startswith(f"<{delivery.key}@")
    assert (delivery.kind, delivery.status, delivery.attempts) == (CONFIRMATION, "sent", 1)
    assert BackInStockSubscription.objects.get(pk=sub.pk).confirmation_sent_at is not None


def test_an_opt_in_for_a_subscription_no_longer_pending_is_cancelled_not_sent(out_of_stock):
    sub = BackInStockSubscription.objects.create(
        product=out_of_stock, channel="email", contact="ana@example.com", status="active"
    )
    with transaction.atomic():
        delivery = subscription_confirmation_enqueue(subscription_id=sub.id)

    delivery.refresh_from_db()
    assert mail.outbox == []
    assert delivery.status == "cancelled" and "no longer waiting" in delivery.last_error
    assert list(delivery.attempt_rows.values_list("status", flat=True)) == ["cancelled"]

    # An operator's "send again" on it changes nothing while the subscriber is not pending.
    assert deliveries_resend(delivery_ids=[delivery.pk]) == 1
    assert OutboundDelivery.objects.get(pk=delivery.pk).status == "cancelled" and mail.outbox == []
