"""Fill the semantic search vectors: `manage.py build_embeddings [--batch-size 256] [--rebuild] [--limit N]`.

`make seed` (so `make run`) runs it with `--unless-off`: with the default static embedder the
demo shop's vectors take about a second, and with none configured it says so and succeeds.

Resumable: a part whose stored vector came from the same embedder and the same text is
skipped, so an interrupted run picks up where it stopped, and a re-run after catalogue
edits embeds only what changed (`catalog.services.embeddings.product_embeddings_refresh`, which a
catalogue import also runs over the parts it changed).
"""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.models import Product
from catalog.search.embeddings import EmbeddingError, embedder_get
from catalog.services.embeddings import product_embeddings_refresh


class Command(BaseCommand):
    help = "Compute sentence embeddings of active parts for semantic search (resumable, batched)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=256)
        parser.add_argument("--rebuild", action="store_true", help="Embed every part again.")
        parser.add_argument("--limit", type=int, default=0, help="Stop after this many parts (0: all).")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument("--unless-off", action="store_true", help="With no embedder configured, say so and exit 0.")

    def handle(self, *args, batch_size, rebuild, limit, no_progress, unless_off, **options):
        embedder = embedder_get()
        if embedder is None:
            message = (
                "No embedder is configured (PARLEY_EMBEDDINGS is 'off', or the one it names is not installed). "
                "Search keeps working, lexical only."
            )
            if unless_off:
                self.stdout.write(message)
                return
            raise CommandError(message)
        started = time.perf_counter()
        total = Product.objects.filter(is_active=True).count()
        with tqdm(total=total, unit="part", disable=no_progress, desc=f"embedding ({embedder.name})") as bar:
            try:
                result = product_embeddings_refresh(
                    rebuild=rebuild, batch_size=batch_size, limit=limit, embedder=embedder, progress=bar.update
                )
            except EmbeddingError as exc:
                raise CommandError(f"{exc}; the parts embedded so far are stored, re-run to resume") from exc
        seconds = time.perf_counter() - started
        rate = result.embedded / seconds if seconds > 0 else 0.0
        self.stdout.write(
            f"embedded {result.embedded} parts ({result.distinct_texts} distinct texts), {result.skipped} already "
            f"up to date, in {seconds:.1f}s ({rate:.0f} parts/s) with {embedder.name}"
        )
