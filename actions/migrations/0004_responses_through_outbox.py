"""Operator replies are sent through the core outbox: each response gets its outbound delivery
(carrying over its status, attempts and last error), and its own delivery columns go."""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def responses_to_outbox(apps, schema_editor):
    ActionResponse = apps.get_model("actions", "ActionResponse")
    OutboundDelivery = apps.get_model("core", "OutboundDelivery")
    now = timezone.now()
    for response in ActionResponse.objects.filter(delivery__isnull=True).iterator():
        if response.status == "sent":
            status = "sent"
        elif response.status == "failed" and not response.retryable:
            status = "failed"
        else:
            status = "pending"  # pending, or failed and worth another try: the reconcile beat sends it
        delivery, _ = OutboundDelivery.objects.get_or_create(
            key=response.idempotency_key,
            defaults={
                "kind": "actions.response",
                "payload": {"response_id": response.pk},
                "status": status,
                "attempts": response.attempts,
                "next_attempt_at": now if status == "pending" else None,
                "last_error": response.error,
                "external_id": response.external_id,
                "sent_at": response.sent_at,
            },
        )
        ActionResponse.objects.filter(pk=response.pk).update(delivery=delivery)


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0003_response_retryable"),
        ("core", "0001_outbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="actionresponse",
            name="delivery",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="core.outbounddelivery",
            ),
        ),
        migrations.RunPython(responses_to_outbox, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="actionresponse", name="actionresponse_status_updated"),
        migrations.RemoveField(model_name="actionresponse", name="attempts"),
        migrations.RemoveField(model_name="actionresponse", name="error"),
        migrations.RemoveField(model_name="actionresponse", name="external_id"),
        migrations.RemoveField(model_name="actionresponse", name="retryable"),
        migrations.RemoveField(model_name="actionresponse", name="sent_at"),
        migrations.RemoveField(model_name="actionresponse", name="status"),
    ]
