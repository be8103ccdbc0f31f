"""Storing the semantic search vectors of parts: the one writer of `ProductEmbedding`.

`manage.py build_embeddings` runs it over the whole active catalogue; a catalogue import runs
it (through `product_embeddings_refresh_task`, after commit) over the parts it created or
changed. Either way a part whose stored vector came from the same embedder and the same text
is skipped, so a price or stock change embeds nothing and a re-run resumes where it stopped.
Each batch is written in its own transaction; each written vector gets a new `updated_at`,
which is the version every web process's vector cache compares (`catalog.search.semantic`),
so the next search everywhere loads the new vectors.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from catalog.models import Product
from catalog.search.embeddings import Embedder, embedder_get, product_text, text_hash
from catalog.search.models import ProductEmbedding
from catalog.services.bulk_load import rows_copy
from core.querysets import pages_by_key
from core.stamps import stamps_forget

# What a part's embedded text is made of (catalog.search.embeddings.product_text).
_TEXT_FIELDS = ("id", "name", "brand", "appliance_type", "category", "description")
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
    memo: dict[str, object] = {}
    for products in _batches(product_ids, batch_size, embedder.name):
        result.parts += len(products)
        texts = {p.id: product_text(p) for p in products}
        hashes = {p.id: text_hash(texts[p.id]) for p in products}
        todo = [p for p in products if p.stored_hash != hashes[p.id]]
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
            _vectors_store(
                [
                    (
                        p.id,
                        embedder.name,
                        vector_of[texts[p.id]].shape[0],
                        vector_of[texts[p.id]].astype("float32").tobytes(),
                        hashes[p.id],
                    )
                    for p in todo
                ]
            )
            # Search in this process sees them at once (another process within PARLEY_DATA_RECHECK_SECONDS).
            stamps_forget()
            transaction.on_commit(stamps_forget)
            result.embedded += len(todo)
        if progress:
            progress(len(products))
        if limit and result.embedded >= limit:
            break
    return result


def _batches(product_ids: list[int] | None, size: int, embedder: str) -> Iterator[list]:
    """The active parts among `product_ids` (None: all of them) in id order, `size` at a time, each
    with the fields of its text and the hash of the text its stored vector came from (None if it
    has none): one query a batch, the whole catalogue paged by id rather than listed first."""
    stored = ProductEmbedding.objects.filter(product=OuterRef("pk"), embedder=embedder).values("text_hash")
    parts = (
        Product.objects.filter(is_active=True)
        .order_by("id")
        .annotate(stored_hash=Subquery(stored))
        .values_list(*_TEXT_FIELDS, "stored_hash", named=True)  # named tuples, not a model instance per part
    )
    if product_ids is not None:
        ids = sorted(set(product_ids))
        for start in range(0, len(ids), size):
            yield list(parts.filter(id__in=ids[start : start + size]))
        return
    yield from pages_by_key(parts, size)


_COLUMNS = ("product_id", "embedder", "dim", "vector", "text_hash")


def _vectors_store(rows: list[tuple[int, str, int, bytes, str]]) -> None:
    """Upsert (product id, embedder, dim, vector, text hash) rows, all stamped now. On PostgreSQL
    one COPY into a temporary table and one INSERT … ON CONFLICT instead of bulk_create's upsert,
    whose 6,000-parameter statement Django composed and psycopg split again for every batch
    (with the named tuples above: 2.6 s of CPU for 20,000 parts instead of 6.1 s)."""
    stamp = timezone.now()
    if connection.vendor != "postgresql":
        with transaction.atomic():
            ProductEmbedding.objects.bulk_create(
                [ProductEmbedding(**dict(zip(_COLUMNS, row, strict=True)), updated_at=stamp) for row in rows],
                update_conflicts=True,
                unique_fields=["product"],
                update_fields=["embedder", "dim", "vector", "text_hash", "updated_at"],
            )
        return
    own_transaction = not connection.in_atomic_block
    table = connection.ops.quote_name(ProductEmbedding._meta.db_table)
    columns = ", ".join(_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        if own_transaction:
            # Vectors are derived data: a batch a server crash loses is embedded again by the next
            # run, so its commit need not wait for the disk (at 1,000,000 parts the wait was most
            # of the time: 2.4 GB of WAL flushed batch by batch).
            cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS embedding_rows (product_id bigint, embedder varchar(80), "
            "dim smallint, vector bytea, text_hash varchar(16))"
        )
        cursor.execute("TRUNCATE embedding_rows")  # an enclosing transaction may hold the last batch's
        rows_copy("embedding_rows", list(_COLUMNS), rows)
        cursor.execute(
            f"INSERT INTO {table} ({columns}, updated_at) SELECT {columns}, %s FROM embedding_rows "  # noqa: S608
            "ON CONFLICT (product_id) DO UPDATE SET embedder = EXCLUDED.embedder, dim = EXCLUDED.dim, "
            "vector = EXCLUDED.vector, text_hash = EXCLUDED.text_hash, updated_at = EXCLUDED.updated_at",
            [stamp],
        )
