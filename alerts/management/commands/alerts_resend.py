from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from alerts.services.notices import alert_notices_resend


class Command(BaseCommand):
    help = (
        "Re-send failed back-in-stock notices that changed since --since (ISO 8601), when the subscriber "
        "is still waiting and the part is in stock. They go to the workers (or run here without a broker)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="ISO datetime, e.g. 2026-11-24T08:00 or 2026-11-24T08:00Z")
        parser.add_argument(
            "--include-cancelled", action="store_true", help="Also notices cancelled (e.g. stock ran out)."
        )

    def handle(self, *args, since: str, include_cancelled: bool, **options):
        moment = parse_datetime(since) or (parse_datetime(since + "T00:00") if len(since) == 10 else None)
        if moment is None:
            raise CommandError(f"--since must be an ISO datetime, not {since!r}")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_current_timezone())
        queued, skipped = alert_notices_resend(since=moment, include_cancelled=include_cancelled)
        self.stdout.write(self.style.SUCCESS(f"{queued} notice(s) queued again; {skipped} skipped."))
