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
from conversations.models import ShopPolicy
from conversations.services.policies import shop_policies_import


class Command(BaseCommand):
    help = "Load the demo catalogue, price book, response templates and shop policies from demo_data/ (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--directory", default=str(DEMO_DATA_DIR), help="Folder holding the demo data files.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when a catalogue is already loaded, so operators' edits (stock, prices, "
            "templates) survive restarts. Without it the demo rows are reset to the files.",
        )

    def handle(self, *args, directory: str, if_empty: bool = False, **options):
        folder = Path(directory)
        if if_empty and Product.objects.exists():
            if not ShopPolicy.objects.exists():  # a database seeded before policies were shop data
                shop_policies_import(data=_policies(folder))
            self.stdout.write(
                "A catalogue is already loaded; leaving it as it is (run seed_demo to reset the demo rows)."
            )
            return
        with transaction.atomic():
            catalog = catalog_import(**demo_catalog_read(directory=folder))
            _, book_counts = price_book_import(
                data=json.loads((folder / "price_book.json").read_text(encoding="utf-8"))
            )
            template_counts = response_templates_import(
                data=json.loads((folder / "response_templates.json").read_text(encoding="utf-8"))
            )
            policy_counts = shop_policies_import(data=_policies(folder))
        lines = [
            f"symptoms:         {catalog.symptoms}",
            f"appliance models: {catalog.models}",
            f"parts:            {catalog.parts}",
            f"compatibility:    {catalog.compatibility}",
            f"symptom links:    +{catalog.symptom_links_added} -{catalog.symptom_links_removed}",
            f"price book rows:  {_counts(book_counts)}",
            f"templates:        {_counts(template_counts)}",
            f"shop policies:    {_counts(policy_counts)}",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))


def _counts(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    return f"{total} ({counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged)"


def _policies(folder: Path) -> list[dict]:
    path = folder / "shop_policies.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
