"""Fill the semantic search vectors: `manage.py build_embeddings [--batch-size 256] [--rebuild] [--limit N]`.

`make seed` (so `make run`) runs it with `--unless-off`: with the default static embedder the
demo shop's vectors take about a second, and with none configured it says so and succeeds.

Resumable: a part whose stored vector came from the same embedder and the same text is
skipped, so an interrupted run picks up where it stopped, and a re-run after catalogue
edits embeds only what changed. Each batch is written in its own transaction. Identical
texts within a batch are embedded once.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from catalog.models import Product
from catalog.search.embeddings import EmbeddingError, embedder_get, product_text, text_hash
from catalog.search.models import ProductEmbedding


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
        batch_size = max(1, min(batch_size, 2048))
        if rebuild:
            ProductEmbedding.objects.all().delete()
        else:
            ProductEmbedding.objects.exclude(embedder=embedder.name).delete()
        done = dict(ProductEmbedding.objects.filter(embedder=embedder.name).values_list("product_id", "text_hash"))
        ids = list(Product.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
        total = len(ids)
        embedded = skipped = unique_embedded = 0
        # Parts with identical text (common in generated or variant-heavy catalogues) share a vector.
        known_vectors: dict[str, object] = {}
        started = time.perf_counter()
        bar = tqdm(total=total, unit="part", disable=no_progress, desc=f"embedding ({embedder.name})")
        try:
            for start in range(0, total, batch_size):
                products = list(Product.objects.filter(id__in=ids[start : start + batch_size]).order_by("id"))
                texts = {p.id: product_text(p) for p in products}
                todo = [p for p in products if done.get(p.id) != text_hash(texts[p.id])]
                skipped += len(products) - len(todo)
                if limit:
                    todo = todo[: max(0, limit - embedded)]
                if todo:
                    unique = [t for t in dict.fromkeys(texts[p.id] for p in todo) if t not in known_vectors]
                    try:
                        vectors = embedder.embed(unique) if unique else []
                    except EmbeddingError as exc:
                        raise CommandError(f"{exc}; {embedded} parts were stored, re-run to resume") from exc
                    if len(known_vectors) > 50_000:
                        known_vectors.clear()
                    known_vectors.update({text: vectors[i] for i, text in enumerate(unique)})
                    by_text = {texts[p.id]: known_vectors[texts[p.id]] for p in todo}
                    unique_embedded += len(unique)
                    rows = [
                        ProductEmbedding(
                            product_id=p.id,
                            embedder=embedder.name,
                            dim=by_text[texts[p.id]].shape[0],
                            vector=by_text[texts[p.id]].astype("float32").tobytes(),
                            text_hash=text_hash(texts[p.id]),
                        )
                        for p in todo
                    ]
                    with transaction.atomic():
                        ProductEmbedding.objects.bulk_create(
                            rows,
                            update_conflicts=True,
                            unique_fields=["product"],
                            update_fields=["embedder", "dim", "vector", "text_hash", "updated_at"],
                        )
                    embedded += len(rows)
                bar.update(len(products))
                if limit and embedded >= limit:
                    break
        finally:
            bar.close()
        seconds = time.perf_counter() - started
        rate = embedded / seconds if seconds > 0 else 0.0
        self.stdout.write(
            f"embedded {embedded} parts ({unique_embedded} distinct texts), {skipped} already up to date, "
            f"in {seconds:.1f}s ({rate:.0f} parts/s) with {embedder.name}"
        )
