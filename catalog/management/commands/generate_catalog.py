"""A deterministic synthetic catalogue of any size that reads like a real one, for benchmarks
(brands' real part and model number formats, long-tailed compatibility; see catalog/services/synthetic.py).

manage.py generate_catalog --parts 100000 --models 5000 --seed 1
"""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.exceptions import CatalogError
from catalog.services.synthetic import catalog_synthetic_generate


class Command(BaseCommand):
    help = "Generate a deterministic, realistic synthetic catalogue (PS9xxxxxxx parts) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--parts", type=int, required=True, help="Number of parts.")
        parser.add_argument("--models", type=int, required=True, help="Number of appliance models (at least 18).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (same seed, same catalogue).")
        parser.add_argument("--chunk-size", type=int, default=5000, help="Parts generated and written per chunk.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, parts: int, models: int, seed: int, chunk_size: int, no_progress: bool, **options):
        started = time.monotonic()
        with tqdm(total=parts, unit="part", desc="generate_catalog", disable=no_progress, file=self.stderr._out) as bar:
            try:
                result = catalog_synthetic_generate(
                    parts=parts, models=models, seed=seed, chunk_size=max(100, chunk_size), on_chunk=bar.update
                )
            except CatalogError as exc:
                raise CommandError(exc.detail) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"parts: {result.parts}\nappliance models: {result.models}\ncompatibility: {result.compatibility}\n"
            f"symptoms: {result.symptoms}\nsymptom links: +{result.symptom_links_added}\n"
            f"done in {elapsed:.1f}s"
        )
