import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from analytics.services.rollups import analytics_rollups_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild every analytics rollup (daily events, per-conversation funnel, daily funnel, assistant "
        "usage) from the stored events and messages, one day per transaction. Safe to re-run; the "
        "dashboard reads raw events while it runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (for logs).")

    def handle(self, *args, **options):
        bar = tqdm(total=0, unit="day", desc="analytics rollups", disable=options["no_progress"], file=sys.stderr)

        def on_total(total: int) -> None:
            bar.total = total
            bar.refresh()

        try:
            result = analytics_rollups_rebuild(progress=bar.update, on_total=on_total)
        finally:
            bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Rolled up {result.events} events over {result.days} day(s) (through event id {result.last_event_id}) "
                f"and {result.conversations_days} cohort day(s) of the funnel."
            )
        )
