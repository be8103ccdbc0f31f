"""`manage.py import_stock feed.csv`: stock levels from a supplier's CSV feed.

Columns (header row, case-insensitive): the part (`psNumber`, `ps_number`, `sku` or
`part_number`; a manufacturer part number works too) and the quantity (`quantity`, `qty`,
`stock` or `stock_quantity`). Each row goes through `product_stock_set`, one transaction
per row, so every change fires `stock_changed` on commit (back-in-stock alerts) and a bad
row never undoes the good ones. Unknown parts and bad quantities are reported, not fatal.
"""

import csv
import io
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog import selectors
from catalog.exceptions import CatalogError
from catalog.services.stock import STOCK_MAX, product_stock_set

PART_COLUMNS = ("psnumber", "ps_number", "sku", "part_number", "partnumber")
QUANTITY_COLUMNS = ("quantity", "qty", "stock", "stock_quantity")


def _column(header: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {name.strip().lower(): name for name in header}
    return next((lowered[name] for name in names if name in lowered), None)


class Command(BaseCommand):
    help = "Set stock levels from a CSV feed (psNumber, quantity); restocks notify back-in-stock subscribers."

    def add_arguments(self, parser):
        parser.add_argument("csv_path", help="The CSV file, or - for standard input.")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report, change nothing.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (e.g. in cron logs).")

    def handle(self, *args, csv_path: str, dry_run: bool, no_progress: bool, **options):
        if csv_path == "-":
            data = sys.stdin.buffer.read()
        else:
            path = Path(csv_path)
            if not path.is_file():
                raise CommandError(f"No such file: {csv_path}")
            data = path.read_bytes()
        # The whole file is read before any row is applied: a file that cannot be read changes nothing.
        try:
            rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        except UnicodeDecodeError as exc:
            raise CommandError(f"The file is not UTF-8 text (byte {exc.start}); nothing was changed.") from None
        except csv.Error as exc:
            raise CommandError(f"The CSV cannot be read: {exc}; nothing was changed.") from None
        header = list(rows[0].keys()) if rows else []
        part_column, quantity_column = _column(header, PART_COLUMNS), _column(header, QUANTITY_COLUMNS)
        if rows and (part_column is None or quantity_column is None):
            raise CommandError(
                f"The header needs a part column ({', '.join(PART_COLUMNS)}) and a quantity column "
                f"({', '.join(QUANTITY_COLUMNS)}); got {', '.join(header)}"
            )
        changed = unchanged = restocked = 0
        problems: list[str] = []
        for line, row in enumerate(
            tqdm(rows, desc="stock", unit="row", disable=no_progress, file=self.stderr._out), start=2
        ):
            part = (row.get(part_column) or "").strip()
            raw_quantity = (row.get(quantity_column) or "").strip()
            product = selectors.product_get(ps_number=part) if part else None
            if product is None:
                problems.append(f"line {line}: unknown part {part!r}")
                continue
            if raw_quantity.startswith("-") and raw_quantity[1:].isascii() and raw_quantity[1:].isdigit():
                problems.append(f"line {line}: {part}: quantity {raw_quantity} is negative")
                continue
            # ASCII digits only: int() also takes "1_000" and other scripts' digits.
            if not (raw_quantity.isascii() and raw_quantity.isdigit()) or int(raw_quantity) > STOCK_MAX:
                problems.append(
                    f"line {line}: {part}: quantity {raw_quantity[:40]!r} is not a whole number from 0 to {STOCK_MAX:,}"
                )
                continue
            quantity = int(raw_quantity)
            if quantity == product.stock_quantity:
                unchanged += 1
                continue
            if product.stock_quantity == 0 and quantity > 0:
                restocked += 1
            changed += 1
            if dry_run:
                continue
            try:
                product_stock_set(product=product, quantity=quantity)
            except CatalogError as exc:
                problems.append(f"line {line}: {part}: {exc.detail}")
                changed -= 1
        for problem in problems:
            self.stderr.write(problem)
        verb = "would change" if dry_run else "changed"
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(rows)} row(s): {verb} {changed} ({restocked} back in stock), {unchanged} unchanged, "
                f"{len(problems)} problem(s)."
            )
        )
