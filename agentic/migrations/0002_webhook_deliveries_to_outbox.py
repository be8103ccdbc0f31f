"""Order events move to the core outbox: events still pending become outbound deliveries."""

from django.db import migrations
from django.utils import timezone


def pending_to_outbox(apps, schema_editor):
    WebhookDelivery = apps.get_model("agentic", "WebhookDelivery")
    OutboundDelivery = apps.get_model("core", "OutboundDelivery")
    for old in WebhookDelivery.objects.filter(status="pending", order__isnull=False).iterator():
        OutboundDelivery.objects.get_or_create(
            key=f"acpevt_migrated_{old.pk}",
            defaults={
                "kind": "acp.order_event",
                "payload": {
                    "platform_id": old.platform_id,
                    "order_id": old.order_id,
                    "event_type": old.event_type,
                    "checkout_session_id": (old.payload.get("data") or {}).get("checkout_session_id", ""),
                },
                "attempts": old.attempts,
                "next_attempt_at": old.next_retry_at or timezone.now(),
                "last_error": old.last_error,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("agentic", "0001_initial"),
        ("core", "0001_outbox"),
    ]

    operations = [
        migrations.RunPython(pending_to_outbox, migrations.RunPython.noop),
        migrations.DeleteModel(name="WebhookDelivery"),
    ]
