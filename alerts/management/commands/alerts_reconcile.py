from django.core.management.base import BaseCommand

from alerts.services.notices import alerts_reconcile


class Command(BaseCommand):
    help = (
        "What the alerts beat task does every 30 s: run due waves, mark subscribers told but not marked and "
        "write their missing alert_notified events. Unsent notices are the outbox's: `manage.py outbox_reconcile`."
    )

    def handle(self, *args, **options):
        counts = alerts_reconcile()
        self.stdout.write(" ".join(f"{key}={value}" for key, value in counts.items()))
