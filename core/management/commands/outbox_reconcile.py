from django.core.management.base import BaseCommand

from core.outbox.services import deliveries_reconcile


class Command(BaseCommand):
    help = (
        "Send every outbound delivery left unsent: pending and due, or claimed by a worker whose lease "
        "ran out. Sends here by default; --queue hands them to the Celery workers instead."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=30,
            help="Leave alone pending deliveries due in the last N seconds (their task may be on its way). Default 30.",
        )
        parser.add_argument("--queue", action="store_true", help="Enqueue deliveries instead of sending them here.")

    def handle(self, *args, grace_seconds: int, queue: bool, **options):
        counts = deliveries_reconcile(grace_seconds=grace_seconds, inline=not queue)
        self.stdout.write(
            " ".join(f"{name}={value}" for name, value in counts.items()) + (" (queued)" if queue else "")
        )
