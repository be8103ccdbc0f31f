"""Recommendations: the top 3 parts for what the customer asked, each with a one-line reason.

In stock first; the stated budget and model respected (a part over budget or not fitting
the model is left out, and the reply says so when that leaves nothing); diversity across
brands and prices (one per brand while other brands are available, and not three at the
same price). Every reason is built from catalogue data.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from catalog import selectors as catalog
from catalog.models import Compatibility, Product


@dataclass
class Recommendation:
    product: Product
    reason: str


@dataclass
class RecommendationResult:
    items: list[Recommendation]
    over_budget: list[Product]  # what matched but costs more than the budget


def _fits(products: list[Product], appliance_model) -> dict[int, float]:
    if appliance_model is None:
        return {}
    fits = dict(
        Compatibility.objects.filter(
            appliance_model=appliance_model, product_id__in=[p.pk for p in products]
        ).values_list("product_id", "confidence")
    )
    # The reply's buttons ask again whether these parts fit: they are answered from these rows.
    catalog.catalog_reads_known(fits=[(pk, appliance_model.pk, confidence) for pk, confidence in fits.items()])
    return fits


def recommend(
    *,
    query: str,
    appliance_type: str | None = None,
    brand: str | None = None,
    appliance_model=None,
    budget: float | None = None,
    candidates: list[Product] | None = None,
    limit: int = 3,
    keep_order: bool = False,
) -> RecommendationResult:
    """`keep_order`: the candidates are already sorted as the customer asked ("cheapest"):
    keep that order instead of in-stock first and brand and price diversity."""
    pool = candidates if candidates is not None else catalog.product_search(query=query, limit=40)
    pool = [p for p in pool if catalog.product_is_sellable(product=p)]
    strong = [p for p in pool if getattr(p, "match", "all_terms") not in ("any_term", "semantic")]
    if strong:
        pool = strong  # parts with every word asked for beat parts with some of them
    if appliance_type:
        pool = [p for p in pool if p.appliance_type == appliance_type] or pool
    fits = _fits(pool, appliance_model)
    if appliance_model is not None:
        pool = [p for p in pool if p.pk in fits]
    over_budget: list[Product] = []
    if budget is not None:
        cap = Decimal(str(budget))
        over_budget = sorted((p for p in pool if p.price > cap), key=lambda p: p.price)
        pool = [p for p in pool if p.price <= cap]
    relevance = {p.pk: i for i, p in enumerate(pool)}
    preferred_brand = (brand or "").lower()

    def key(p: Product):
        return (
            not p.in_stock,
            # Relevance in bands of five, so a stocked, well-rated part is not lost to rank noise.
            relevance[p.pk] // 5,
            0 if preferred_brand and p.brand.lower() == preferred_brand else 1,
            -(fits.get(p.pk) or 0),
            -(float(p.rating or 0)),
            p.price,
        )

    ranked = list(pool) if keep_order else sorted(pool, key=key)
    chosen: list[Product] = ranked[:limit] if keep_order else []
    for p in [] if keep_order else ranked:
        if len(chosen) == limit:
            break
        same_brand = any(c.brand == p.brand for c in chosen)
        same_price = any(abs(c.price - p.price) < Decimal("1.00") for c in chosen)
        if (same_brand and not preferred_brand) or same_price:
            continue
        chosen.append(p)
    for p in ranked:  # not enough diverse ones: fill with the next best
        if len(chosen) == limit:
            break
        if p not in chosen:
            chosen.append(p)
    cheapest = min((p.price for p in chosen), default=None)
    best_rating = max((p.rating or 0 for p in chosen), default=0)
    items = []
    for p in chosen:
        reasons = []
        if p.pk in fits:
            reasons.append(f"fits your {appliance_model.model_number} ({round(fits[p.pk] * 100)}% fit confidence)")
        if p.in_stock:
            reasons.append(f"in stock ({p.stock_quantity} available)")
        elif p.backordered:
            reasons.append("backordered")
        else:
            reasons.append("out of stock")
        if len(chosen) > 1 and p.price == cheapest:
            reasons.append("the lowest price here")
        if p.rating and p.rating == best_rating and len(chosen) > 1:
            reasons.append(f"the best rated ({p.rating}/5 from {p.review_count} reviews)")
        if preferred_brand and p.brand.lower() == preferred_brand:
            reasons.append(f"{p.brand}, the brand you mentioned")
        if budget is not None:
            reasons.append(f"within your {budget:.2f} budget")
        items.append(Recommendation(product=p, reason="; ".join(reasons[:3])))
    return RecommendationResult(items=items, over_budget=over_budget[:1])
