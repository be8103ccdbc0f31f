"""The signed-link pages, the admin and the maintenance commands."""

import io
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from alerts import tokens
from alerts.models import BackInStockSubscription, RestockRound
from alerts.services.notices import notices_create
from core.outbox.models import OutboundDelivery


@pytest.fixture
def pending(out_of_stock):
    return BackInStockSubscription.objects.create(product=out_of_stock, channel="email", contact="ana@example.com")


@pytest.mark.django_db
def test_confirming_twice_is_harmless_and_an_expired_link_says_so(client, pending, settings):
    link = tokens.confirm_url(pending.id).split("8000", 1)[1]
    assert b"Your alert is confirmed" in client.get(link).content
    again = client.get(link)
    assert again.status_code == 200 and b"Your alert is confirmed" in again.content
    assert again["Cache-Control"] == "no-store"

    settings.ALERTS_CONFIRM_MAX_AGE_SECONDS = -1
    expired = client.get(link)
    assert expired.status_code == 400 and b"This link has expired" in expired.content


@pytest.mark.django_db
def test_a_forged_or_misused_token_changes_nothing(client, pending):
    forged = signing.dumps(pending.id, salt="someone-else")
    assert client.get(f"/alerts/confirm/{forged}").status_code == 400
    unsubscribe_token = tokens.subscription_token_make(subscription_id=pending.id, purpose=tokens.UNSUBSCRIBE)
    assert client.get(f"/alerts/confirm/{unsubscribe_token}").status_code == 400  # wrong purpose
    pending.refresh_from_db()
    assert pending.status == "pending"


@pytest.mark.django_db
def test_unsubscribe_link_is_one_click_and_a_deleted_alert_is_a_clear_404(client, pending):
    path = tokens.unsubscribe_url(pending.id).split("8000", 1)[1]
    response = client.get(path)
    assert response.status_code == 200 and b"You are unsubscribed" in response.content
    pending.refresh_from_db()
    assert pending.status == "unsubscribed" and pending.unsubscribed_at is not None
    pending.delete()
    gone = client.get(path)
    assert gone.status_code == 404 and b"no longer exists" in gone.content


@pytest.mark.django_db
def test_import_stock_restocks_from_a_csv_feed_and_reports_bad_rows(
    out_of_stock, subscribe, tmp_path, django_capture_on_commit_callbacks
):
    subscribe(out_of_stock, 2)
    feed = tmp_path / "feed.csv"
    feed.write_text("psNumber,quantity\nPS11750057,5\nPS11750058,40\nPS00000000,3\nPS11750099,lots\n")
    out, err = io.StringIO(), io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_stock", str(feed), "--no-progress", stdout=out, stderr=err)

    assert "4 row(s): changed 1 (1 back in stock), 1 unchanged, 2 problem(s)" in out.getvalue()
    assert "unknown part 'PS00000000'" in err.getvalue() and "'lots' is not a whole number" in err.getvalue()
    out_of_stock.refresh_from_db()
    assert out_of_stock.stock_quantity == 5
    # Eager Celery in tests: the restock already told both subscribers.
    assert sorted(m.to[0] for m in mail.outbox) == ["person0@example.com", "person1@example.com"]


@pytest.mark.django_db
def test_a_catalogue_import_restocks_like_an_admin_edit(
    out_of_stock, subscribe, tmp_path, django_capture_on_commit_callbacks, settings
):
    settings.PARLEY_EMBEDDINGS = "off"
    subscribe(out_of_stock, 2)
    feed = tmp_path / "catalogue.csv"
    feed.write_text(
        f"part_number,name,brand,appliance_type,price,stock\nPS11750057,{out_of_stock.name},Whirlpool,dishwasher,24.99,5\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_catalog", str(feed), "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())

    out_of_stock.refresh_from_db()
    assert out_of_stock.stock_quantity == 5
    assert RestockRound.objects.filter(product=out_of_stock).count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["person0@example.com", "person1@example.com"]


@pytest.mark.django_db
def test_import_stock_dry_run_changes_nothing(out_of_stock, tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text("SKU,Qty\nPS11750057,5\n")
    out = io.StringIO()
    call_command("import_stock", str(feed), "--dry-run", "--no-progress", stdout=out, stderr=io.StringIO())
    assert "would change 1 (1 back in stock)" in out.getvalue()
    out_of_stock.refresh_from_db()
    assert out_of_stock.stock_quantity == 0


@pytest.mark.django_db
def test_backfill_tells_waiting_subscribers_of_parts_in_stock_once(shop, subscribe, django_capture_on_commit_callbacks):
    subscribe(shop["seal"], 3)  # in stock (7), subscribers never told
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("alerts_backfill", stdout=out)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("alerts_backfill", stdout=io.StringIO())
    assert "PS11750099:restock:1: 3 notice(s) queued in 1 wave(s)" in out.getvalue()
    assert len(mail.outbox) == 3
    assert RestockRound.objects.get().trigger == "backfill"


@pytest.mark.django_db
def test_alerts_resend_sends_failed_notices_since_a_moment(shop, subscribe, django_capture_on_commit_callbacks):
    subs = subscribe(shop["seal"], 2)
    with transaction.atomic():  # created, not sent (the on-commit hand-off is not run): then they failed
        old, recent = notices_create(subscriptions=[(sub.id, sub.channel, False) for sub in subs], restock_key="k")
    OutboundDelivery.objects.filter(pk__in=[old.delivery_id, recent.delivery_id]).update(status="failed")
    OutboundDelivery.objects.filter(pk=old.delivery_id).update(updated_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("alerts_resend", "--since", since, stdout=out)
    assert "1 notice(s) queued again; 0 skipped." in out.getvalue()
    assert [m.to[0] for m in mail.outbox] == [subs[1].contact]
    assert OutboundDelivery.objects.get(pk=recent.delivery_id).status == "sent"
    assert OutboundDelivery.objects.get(pk=old.delivery_id).status == "failed"


@pytest.mark.django_db
def test_admin_lists_and_notify_now(admin_client, shop, out_of_stock, subscribe, django_capture_on_commit_callbacks):
    subs = subscribe(shop["seal"], 2)
    subscribe(out_of_stock, 1, start=5, status="pending")
    for url in (
        "/admin/alerts/backinstocksubscription/",
        "/admin/alerts/pendingoptin/",
        "/admin/alerts/partalertsummary/",
        "/admin/alerts/restockround/",
        "/admin/alerts/alertnotice/",
        f"/admin/alerts/backinstocksubscription/{subs[0].pk}/change/",
    ):
        assert admin_client.get(url).status_code == 200, url
    summary = admin_client.get("/admin/alerts/partalertsummary/").content.decode()
    assert "PS11750099" in summary and "PS11750057" in summary
    pending_list = admin_client.get("/admin/alerts/pendingoptin/").content.decode()
    assert "person5@example.com" in pending_list and "person0@example.com" not in pending_list

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/alerts/backinstocksubscription/",
            {"action": "notify_now", "_selected_action": [s.pk for s in subs]},
            follow=True,
        )
    assert "2 notice(s) queued." in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.contact for s in subs)
    assert set(
        BackInStockSubscription.objects.filter(pk__in=[s.pk for s in subs]).values_list("status", flat=True)
    ) == {"notified"}
