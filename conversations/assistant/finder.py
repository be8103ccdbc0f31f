"""Filter, then rank: the parts for what a customer asked.

A known model, brand or appliance type is a hard filter, never a preference: with a model,
the candidates are the parts listed for it and only then matched to the words; without one,
the catalogue search's candidates of another appliance type (or, with a brand, listed for none
of that brand's models) are dropped. When nothing is left, the result says which filter
emptied it, so the reply can say so plainly instead of listing parts that do not fit.
"Cheapest", "best rated" and "under $N" are sort and filter slots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from catalog import selectors as catalog
from catalog.models import Compatibility, Product
from conversations.assistant.recommendations import Recommendation, recommend

MODEL_POOL = 2000  # parts listed for one model considered for the words (a model lists far fewer)


@dataclass
class FindResult:
    items: list[Recommendation] = field(default_factory=list)
    empty_because: str = ""  # "model" | "brand" | "appliance_type" | "budget" | "words" | ""
    over_budget: list[Product] = field(default_factory=list)


def plain_words(text: str) -> list[str]:
    """Words as written, lower case, without a plural "s" ("Dishrack" stays "dishrack": a
    dishrack is not a rack adjuster, which the search's synonyms would equate)."""
    out = []
    for word in re.findall(r"[a-z0-9]+", (text or "").lower()):
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


def _word_match(product: Product, words: list[str], qualifiers: list[str] = ()) -> tuple[int, int]:
    """(how many of the part's own words its name has, how many of the qualifying words). The
    name, not the category: an upper rack adjuster filed under "Dishracks" is not a dishrack."""
    have = set(plain_words(product.name))
    return sum(1 for w in words if w in have), sum(1 for w in qualifiers if w in have)


def _best_matches(products: list[Product], words: list[str], qualifiers: list[str]) -> list[Product]:
    """The products with the most of the customer's part words (then qualifiers); none when no
    product has any of the part words ("door gasket" is not a door shelf bin)."""
    scored = [(p, _word_match(p, words, qualifiers)) for p in products]
    best = max((s for _, s in scored), default=(0, 0))
    if best[0] == 0:
        return []
    return [p for p, s in scored if s == best]


def _brand_fits(products: list[Product], brand: str) -> set[int]:
    """Parts made by `brand`; when it makes none of them, parts listed for one of its models (an
    appliance brand: a Maytag fridge takes Whirlpool parts)."""
    made = {p.pk for p in products if p.brand.lower() == brand.lower()}
    return made or catalog.products_listed_for_brand(products=products, brand=brand)


def _named(words: list[str], appliance_type: str | None) -> list[Product]:
    """Parts whose name has the customer's words as written, when the search's synonyms buried
    them ("dishrack" searches as "rack"): one bounded query, only on that path."""
    products = Product.objects.filter(is_active=True)
    for word in words:
        products = products.filter(name__icontains=word)
    if appliance_type:
        products = products.filter(appliance_type=appliance_type)
    return [p for p in products.order_by("price", "ps_number")[:NAMED_POOL] if catalog.product_is_sellable(product=p)]


NAMED_POOL = 200


def parts_find(
    *,
    query: str,
    words: list[str],
    qualifiers: list[str] = (),
    appliance_type: str | None,
    brand: str | None,
    appliance_model,
    budget: float | None,
    sort: str,
    limit: int = 3,
) -> FindResult:
    """`words`: the part words the customer used, as `plain_words` ("drain", "pump"); `qualifiers`:
    other words of part names they used ("lower", "door"); `query`: the search text."""
    if appliance_model is not None:
        rows = (
            Compatibility.objects.filter(appliance_model=appliance_model, product__is_active=True)
            .select_related("product")
            .order_by("-confidence", "product__ps_number")[:MODEL_POOL]
        )
        rows = list(rows)
        fitting = [row.product for row in rows]
        catalog.catalog_reads_known(fits=[(row.product_id, row.appliance_model_id, row.confidence) for row in rows])
        if not fitting:
            return FindResult(empty_because="model")
        if words:
            # Listed for the model and named as asked: every word of "lower spray arm" (an upper
            # spray arm that fits is not what was asked for; the reply says none is listed).
            wanted = (len(words), len(qualifiers))
            pool = [p for p in fitting if _word_match(p, words, qualifiers) == wanted]
            if not pool:
                # We sell that kind of part, just none listed for this model; or no part is named so.
                sold = catalog.product_named_sold(words=words)
                return FindResult(empty_because="model" if sold else "words")
        else:
            pool = fitting
    else:
        pool = [p for p in catalog.product_search(query=query, limit=40) if catalog.product_is_sellable(product=p)]
        if words:
            # The parts with the most of the customer's words ("drain pump" is not a drain hose).
            pool = (
                _best_matches(pool, words, qualifiers)
                or _best_matches(_named(words, appliance_type), words, qualifiers)
                or [p for p in pool if getattr(p, "match", "") == "semantic"]
            )
        if not pool:
            return FindResult(empty_because="words")
        if appliance_type:
            pool = [p for p in pool if p.appliance_type == appliance_type]
            if not pool:
                return FindResult(empty_because="appliance_type")
        if brand:
            fits = _brand_fits(pool, brand)
            pool = [p for p in pool if p.pk in fits]
            if not pool:
                return FindResult(empty_because="brand")
    if sort == "price":
        pool = sorted(pool, key=lambda p: (p.price, p.ps_number))
    elif sort == "rating":
        pool = sorted(pool, key=lambda p: (-(p.rating or 0), -p.review_count, p.ps_number))
    result = recommend(
        query=query,
        brand=brand,
        appliance_model=appliance_model,
        budget=budget,
        candidates=pool,
        limit=limit,
        keep_order=bool(sort),
    )
    if not result.items:
        return FindResult(empty_because="budget" if result.over_budget else "words", over_budget=result.over_budget)
    return FindResult(items=result.items)
