"""Alert notices are outbox deliveries (kind `alerts.notice`): each notice gets its delivery, which
takes over the sending state (status, attempts, errors, sent_at, the receiver's id). The notice's
own columns go in 0005 (a separate transaction: PostgreSQL refuses to alter a table with pending
deferred-constraint checks from the rows updated here)."""

import django.db.models.deletion
from django.db import migrations, models

# The notice's states were the delivery's states by the same names.
STATUSES = {"pending", "sending", "sent", "failed", "cancelled"}


def notices_to_deliveries(apps, schema_editor):
    AlertNotice = apps.get_model("alerts", "AlertNotice")
    OutboundDelivery = apps.get_model("core", "OutboundDelivery")
    for notice in AlertNotice.objects.filter(delivery__isnull=True).select_related("subscription").iterator():
        status = notice.status if notice.status in STATUSES else "failed"
        delivery = OutboundDelivery.objects.create(
            kind="alerts.notice",
            key=f"alert-{notice.pk}",
            payload={
                "subscription_id": notice.subscription_id,
                "chat": notice.subscription.conversation_id is not None,
            },
            # A notice a worker held when this ran is due again (its claim dies with the column).
            status="pending" if status == "sending" else status,
            attempts=notice.attempts,
            next_attempt_at=notice.updated_at if status in ("pending", "sending") else None,
            last_error=notice.error,
            external_id=notice.external_id,
            sent_at=notice.sent_at,
        )
        AlertNotice.objects.filter(pk=notice.pk).update(delivery=delivery)


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0003_admin_proxies"),
        ("core", "0002_attempt_cancelled"),
    ]

    operations = [
        migrations.AddField(
            model_name="alertnotice",
            name="delivery",
            field=models.OneToOneField(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="alert_notice",
                to="core.outbounddelivery",
            ),
        ),
        migrations.RunPython(notices_to_deliveries, migrations.RunPython.noop),
    ]
