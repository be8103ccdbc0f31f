from django.core.management.base import BaseCommand

from actions.services.responses import action_responses_reconcile


class Command(BaseCommand):
    help = (
        "Re-send operator-decision responses left unsent (pending, or failed and retryable) and expire "
        "stale actions. Delivers here by default; --queue hands them to the Celery workers instead."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=30,
            help="Leave alone responses touched in the last N seconds (a worker may be on them). Default 30.",
        )
        parser.add_argument("--queue", action="store_true", help="Enqueue deliveries instead of running them here.")

    def handle(self, *args, grace_seconds: int, queue: bool, **options):
        counts = action_responses_reconcile(grace_seconds=grace_seconds, inline=not queue)
        self.stdout.write(
            f"due={counts['due']} delivered={counts['delivered']} failed={counts['failed']} "
            f"expired={counts['expired']}" + (" (queued)" if queue else "")
        )
