from django.core.management.base import BaseCommand

from alerts.services.rounds import alerts_backfill


class Command(BaseCommand):
    help = (
        "Tell the active subscribers of parts that are in stock now and were never told (e.g. the stock "
        "changed while alerts were off, or the subscriptions were imported): a restock round per part, "
        "in waves sized to the stock like any restock. Safe to run again: nobody is told twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("ps_numbers", nargs="*", help="Only these parts (default: every part in stock).")

    def handle(self, *args, ps_numbers: list[str], **options):
        rounds = alerts_backfill(ps_numbers=ps_numbers or None)
        for rnd in rounds:
            rnd.refresh_from_db()
            self.stdout.write(f"{rnd.restock_key}: {rnd.notices_created} notice(s) queued in {rnd.waves} wave(s)")
        self.stdout.write(self.style.SUCCESS(f"{len(rounds)} part(s) with subscribers to tell."))
