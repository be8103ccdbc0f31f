from django.core.management.base import BaseCommand, CommandError

from checkout.enums import FulfilmentStatus
from checkout.exports import orders_ship_csv_write
from checkout.selectors import TO_SHIP, orders_to_ship


class Command(BaseCommand):
    help = (
        "Write the paid orders waiting to ship (unfulfilled and packed, oldest first) as CSV: contact, "
        "address, items. To stdout, or to --output."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--status",
            action="append",
            choices=[s.value for s in TO_SHIP],
            help="Only orders in this fulfilment status (repeatable); default: unfulfilled and packed.",
        )
        parser.add_argument("--output", "-o", help="A file to write (default: stdout).")

    def handle(self, *args, status=None, output=None, **options):
        orders = orders_to_ship(statuses=tuple(FulfilmentStatus(s) for s in status) if status else TO_SHIP)
        if output:
            try:
                with open(output, "w", newline="", encoding="utf-8") as out:
                    count = orders_ship_csv_write(orders=orders.iterator(chunk_size=500), out=out)
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc}") from exc
            self.stderr.write(self.style.SUCCESS(f"{count} order(s) to ship written to {output}."))
            return
        count = orders_ship_csv_write(orders=orders.iterator(chunk_size=500), out=self.stdout)
        self.stderr.write(f"{count} order(s) to ship.")
