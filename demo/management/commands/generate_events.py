import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from analytics.services.synthetic import events_generate, events_generated_clear
from checkout.services.synthetic import orders_synthetic_clear, orders_synthetic_create


class Command(BaseCommand):
    # Demo data across apps: analytics generates the traffic, checkout writes the orders it implies.
    help = (
        "Generate about N synthetic telemetry events (whole conversations with a realistic funnel) over "
        "the last --days days, plus matching orders, for demos and benchmarks. Run analytics_backfill "
        "afterwards (or pass --backfill) so the dashboard's rollups include them."
    )

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="How many events (the last conversation may stop short).")
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--seed", type=int, default=None, help="Same seed, same traffic shape.")
        parser.add_argument("--no-orders", action="store_true", help="Events only, no synthetic orders.")
        parser.add_argument("--traditional-ratio", type=float, default=2.5, help="Non-chat orders per chat order.")
        parser.add_argument("--clear", action="store_true", help="Remove earlier synthetic events and orders first.")
        parser.add_argument("--backfill", action="store_true", help="Rebuild the rollups afterwards.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        count, days = options["count"], options["days"]
        if count < 1:
            raise CommandError("N must be at least 1.")
        if not 1 <= days <= 366:
            raise CommandError("--days must be between 1 and 366.")
        if options["clear"]:
            events, orders = events_generated_clear(), orders_synthetic_clear()
            self.stdout.write(f"Removed {events} synthetic events and {orders} synthetic orders.")
        with tqdm(
            total=count, unit="event", unit_scale=True, desc="events", disable=options["no_progress"], file=sys.stderr
        ) as bar:
            result = events_generate(
                count=count,
                days=days,
                seed=options["seed"],
                orders=not options["no_orders"],
                traditional_ratio=options["traditional_ratio"],
                progress=bar.update,
            )
        orders_synthetic_create(run=result.run, sales=result.sales)
        chat = sum(1 for sale in result.sales if sale.source == "conversational")
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {result.events} events in {result.conversations} conversations over {days} days, "
                f"{chat} conversational and {len(result.sales) - chat} traditional orders."
            )
        )
        if options["backfill"]:
            from django.core.management import call_command

            call_command("analytics_backfill", no_progress=options["no_progress"])
