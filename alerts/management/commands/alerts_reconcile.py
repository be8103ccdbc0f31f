from django.core.management.base import BaseCommand

from alerts.services.notices import alerts_reconcile


class Command(BaseCommand):
    help = (
        "What the alerts beat task does every 30 s: run due waves, hand pending notices nobody is working "
        "on and claims whose lease ran out (a dead worker's) back to the workers, mark told subscribers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-seconds", type=int, default=60, help="Leave pending notices younger than this (default 60)."
        )

    def handle(self, *args, grace_seconds: int, **options):
        counts = alerts_reconcile(grace_seconds=grace_seconds)
        self.stdout.write(" ".join(f"{key}={value}" for key, value in counts.items()))
