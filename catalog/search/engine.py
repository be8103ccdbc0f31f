"""The search pipeline behind `catalog.selectors.product_search` and `GET /api/catalog/search`.

1. Exact identifiers: a PS number or manufacturer part number returns that part; a model
   number returns the parts that fit it (ordered by the query's words when it has some).
2. Lexical: BM25 over the active catalogue (catalog/search/lexical.py), products with every
   term first, misspellings corrected against the catalogue's own words.
3. Semantic: cosine similarity of sentence embeddings (catalog/search/semantic.py), when an
   embedder is configured and `manage.py build_embeddings` has stored vectors.
Lexical and semantic lists are fused by reciprocal rank (k = 60) below the exact matches.
Each product carries `match`: "ps_number", "manufacturer_part_number", "model_number",
"all_terms", "any_term" or "semantic", and `score` (the fused score; 1.0 for exact).
"""

from __future__ import annotations

import re

from django.db.models import Q
from django.db.models.functions import Upper

from catalog.models import ApplianceModel, Product, model_number_key
from catalog.search.lexical import lexical_search
from catalog.search.semantic import semantic_search
from catalog.search.text import query_terms

RRF_K = 60
# Semantic neighbours below this cosine are noise, not matches.
MIN_COSINE = 0.30
_TOKEN = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[^A-Z0-9]")


def _key(value: str) -> str:
    return _NON_ALNUM.sub("", (value or "").upper())


def exact_matches(query: str, limit: int, terms: list[str]) -> list[Product]:
    from catalog.selectors import appliance_model_parts

    tokens = [t.upper() for t in _TOKEN.findall(query) if any(c.isdigit() for c in t) and len(t) >= 4]
    whole = _key(query)
    keys = set(tokens) | {_key(t) for t in tokens}
    if 4 <= len(whole) <= 20 and any(c.isdigit() for c in whole):
        keys.add(whole)
    keys.discard("")
    if not keys:
        return []
    found: list[Product] = list(
        Product.objects.alias(ps_upper=Upper("ps_number"), mpn_upper=Upper("manufacturer_part_number"))
        .filter(Q(ps_upper__in=keys) | Q(mpn_upper__in=keys))
        .order_by("-is_active", "ps_number")[:limit]
    )
    for product in found:
        product.match = "ps_number" if product.ps_number.upper() in keys else "manufacturer_part_number"
        product.score = 1.0
    found.sort(key=lambda p: p.match != "ps_number")
    by_model: list[Product] = []
    for model in ApplianceModel.objects.alias(key=model_number_key()).filter(key__in=keys)[:3]:
        _, parts = appliance_model_parts(appliance_model=model, limit=50 if terms else limit)
        for part in parts:
            part.match = "model_number"
            part.score = 1.0
            by_model.append(part)
    if terms and by_model:
        # "WDT780SAEM1 drain pump": the model's parts that have the words first.
        def hits(product: Product) -> int:
            text = f"{product.name} {product.category}".lower()
            return sum(term in text for term in terms)

        by_model.sort(key=lambda p: -hits(p))
    return found + by_model


def search_products(*, query: str, limit: int = 10, semantic: bool = True) -> list[Product]:
    limit = max(1, min(int(limit), 50))
    query = (query or "").strip()
    if not query:
        return []
    terms = query_terms(query)
    results: list[Product] = []
    seen: set[int] = set()
    for product in exact_matches(query, limit, terms):
        if product.pk not in seen:
            seen.add(product.pk)
            results.append(product)
    if len(results) >= limit or not terms:
        return results[:limit]

    depth = max(50, limit * 5)
    lexical = lexical_search(terms, depth)
    fused: dict[int, float] = {}
    label: dict[int, str] = {}
    coverage: dict[int, int] = {}
    for rank, hit in enumerate(lexical):
        fused[hit.product_id] = fused.get(hit.product_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        label[hit.product_id] = "all_terms" if hit.all_terms else "any_term"
        coverage[hit.product_id] = 1 if hit.all_terms else 0
    if semantic:
        for rank, (product_id, cosine) in enumerate(semantic_search(query, depth)):
            if cosine < MIN_COSINE:
                break
            fused[product_id] = fused.get(product_id, 0.0) + 1.0 / (RRF_K + rank + 1)
            label.setdefault(product_id, "semantic")
            coverage.setdefault(product_id, 0)
    # Products with every word stay above partial and semantic-only matches.
    order = sorted(fused, key=lambda pid: (-coverage[pid], -fused[pid], pid))
    wanted = [pid for pid in order if pid not in seen]
    # Read back only as many as are missing (lexical hits are active parts; a part deactivated
    # since the index last looked, or a semantic hit of an inactive one, costs one more read).
    while wanted and len(results) < limit:
        batch, wanted = wanted[: limit - len(results)], wanted[limit - len(results) :]
        products = Product.objects.in_bulk(batch)
        for pid in batch:
            product = products.get(pid)
            if product is None or not product.is_active:
                continue
            product.match = label[pid]
            product.score = round(fused[pid], 6)
            results.append(product)
    return results


def catalogue_vocabulary() -> tuple[tuple[str, ...], frozenset[str]]:
    """(brands, words of part names and categories) of the active catalogue, from the index."""
    from catalog.search.lexical import cache

    index = cache.get()
    return index.brands, index.name_terms


def product_search(*, query: str, limit: int = 10) -> list[Product]:
    return search_products(query=query, limit=limit)
