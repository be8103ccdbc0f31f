"""Load the demo shop (demo_data/) through the import services, in one transaction.

Idempotent: a second run finds every row already there and writes nothing.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from actions.services.templates import response_templates_import
from catalog.models import Product
from catalog.services.demo import DEMO_DATA_DIR, demo_catalog_read
from catalog.services.imports import catalog_import
from checkout.services.price_book import price_book_import


class Command(BaseCommand):
    help = "Load the demo catalogue, price book and response templates from demo_data/ (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--directory", default=str(DEMO_DATA_DIR), help="Folder holding the demo data files.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when a catalogue is already loaded, so operators' edits (stock, prices, "
            "templates) survive restarts. Without it the demo rows are reset to the files.",
        )

    def handle(self, *args, directory: str, if_empty: bool = False, **options):
        if if_empty and Product.objects.exists():
            self.stdout.write(
                "A catalogue is already loaded; leaving it as it is (run seed_demo to reset the demo rows)."
            )
            return
        folder = Path(directory)
        with transaction.atomic():
            catalog = catalog_import(**demo_catalog_read(directory=folder))
            _, book_counts = price_book_import(
                data=json.loads((folder / "price_book.json").read_text(encoding="utf-8"))
            )
            template_counts = response_templates_import(
                data=json.loads((folder / "response_templates.json").read_text(encoding="utf-8"))
            )
        lines = [
            f"symptoms:         {catalog.symptoms}",
            f"appliance models: {catalog.models}",
            f"parts:            {catalog.parts}",
            f"compatibility:    {catalog.compatibility}",
            f"symptom links:    +{catalog.symptom_links_added} -{catalog.symptom_links_removed}",
            f"price book rows:  {_counts(book_counts)}",
            f"templates:        {_counts(template_counts)}",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))


def _counts(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    return f"{total} ({counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged)"
