"""Storing the semantic search vectors of parts: the one writer of `ProductEmbedding`.

`manage.py build_embeddings` runs it over the whole active catalogue; a catalogue import runs
it (through `product_embeddings_refresh_task`, after commit) over the parts it created or
changed. Either way a part whose stored vector came from the same embedder and the same text
is skipped, so a price or stock change embeds nothing and a re-run resumes where it stopped.
Each batch is written in its own transaction; each written vector gets a new `updated_at`,
which is the version every web process's vector cache compares (`catalog.search.semantic`),
so the next search everywhere loads the new vectors.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from catalog.models import Product
from catalog.search.embeddings import Embedder, embedder_get, product_text, text_hash
from catalog.search.models import ProductEmbedding
from core.stamps import stamps_forget

# Parts with identical text (common in generated or variant-heavy catalogues) share a vector;
# the memo is cleared past this many texts.
_MEMO_LIMIT = 50_000


@dataclass
class EmbeddingsRefreshResult:
    embedder: str | None = None
    parts: int = 0  # active parts looked at
    embedded: int = 0  # vectors written
    distinct_texts: int = 0  # texts sent to the embedder
    skipped: int = 0  # already up to date


def product_embeddings_refresh(
    *,
    product_ids: list[int] | None = None,
    rebuild: bool = False,
    batch_size: int = 256,
    limit: int = 0,
    embedder: Embedder | None = None,
    progress: Callable[[int], None] | None = None,
) -> EmbeddingsRefreshResult:
    """Embed the active parts among `product_ids` (None: the whole catalogue) whose text changed.

    `rebuild` drops every stored vector first (only with `product_ids=None`); vectors of another
    embedder are dropped either way. `limit` stops after that many vectors (0: no limit).
    `progress(n)` is called after each batch of n parts. Raises `EmbeddingError` when the
    embedder fails (what was stored stays). With no embedder configured, does nothing.
    """
    embedder = embedder or embedder_get()
    result = EmbeddingsRefreshResult(embedder=embedder.name if embedder else None)
    if embedder is None:
        return result
    batch_size = max(1, min(batch_size, 2048))
    if rebuild and product_ids is None:
        ProductEmbedding.objects.all().delete()
    else:
        ProductEmbedding.objects.exclude(embedder=embedder.name).delete()
    if product_ids is None:
        ids = list(Product.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
    else:
        ids = sorted(set(product_ids))
    memo: dict[str, object] = {}
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        products = list(Product.objects.filter(id__in=batch, is_active=True).order_by("id"))
        result.parts += len(products)
        done = dict(
            ProductEmbedding.objects.filter(embedder=embedder.name, product_id__in=batch).values_list(
                "product_id", "text_hash"
            )
        )
        texts = {p.id: product_text(p) for p in products}
        todo = [p for p in products if done.get(p.id) != text_hash(texts[p.id])]
        result.skipped += len(products) - len(todo)
        if limit:
            todo = todo[: max(0, limit - result.embedded)]
        if todo:
            unique = [t for t in dict.fromkeys(texts[p.id] for p in todo) if t not in memo]
            fresh = dict(zip(unique, embedder.embed(unique), strict=True)) if unique else {}
            vector_of = {texts[p.id]: fresh[texts[p.id]] if texts[p.id] in fresh else memo[texts[p.id]] for p in todo}
            if len(memo) > _MEMO_LIMIT:
                memo.clear()
            memo.update(fresh)
            result.distinct_texts += len(unique)
            rows = [
                ProductEmbedding(
                    product_id=p.id,
                    embedder=embedder.name,
                    dim=vector_of[texts[p.id]].shape[0],
                    vector=vector_of[texts[p.id]].astype("float32").tobytes(),
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
            # Search in this process sees them at once (another process within PARLEY_DATA_RECHECK_SECONDS).
            stamps_forget()
            transaction.on_commit(stamps_forget)
            result.embedded += len(rows)
        if progress:
            progress(len(products))
        if limit and result.embedded >= limit:
            break
    return result
