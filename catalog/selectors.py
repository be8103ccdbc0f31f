"""Reads of the catalogue: lookups, compatibility, alternatives, symptoms and search.

Functions that return several products return `Product` instances; where a fit to a model
is involved each carries a `confidence` attribute (float, or None when no model was given).
"""

import copy
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Upper

from catalog.enums import CompatibilityLevel
from catalog.models import ApplianceModel, Compatibility, Product, Symptom, active_stock_rank, model_number_key
from catalog.search.text import STOP_WORDS
from catalog.vocabulary import appliance_type_mentioned
from core.jsonsafe import text_is_clean

# When a model's compatibility list is known (it has rows) but a part is not on it, we say
# "no" with this confidence: the lists are curated, but they can be incomplete.
NOT_LISTED_CONFIDENCE = 0.9

_NON_ALNUM = re.compile(r"[^A-Z0-9]")
_TOKEN = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")


class CompatibilityResult(NamedTuple):
    level: str
    confidence: float


def identifier_key(value: str) -> str:
    """Upper-case, letters and digits only: "wdt-780 saem1" → "WDT780SAEM1"."""
    return _NON_ALNUM.sub("", (value or "").upper())


def _in_stock_rank(prefix: str = "") -> Case:
    return Case(
        When(**{f"{prefix}is_active": True, f"{prefix}stock_quantity__gt": 0}, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


# --- single lookups -------------------------------------------------------------------

_shared_reads: ContextVar[dict | None] = ContextVar("catalog_shared_reads", default=None)


@contextmanager
def catalog_reads_shared() -> Iterator[None]:
    """Within the block, `product_get`, `appliance_model_get` and `compatibility_check` read each
    part, model and fit once: one reply asks for the same ones while it is understood, answered,
    grounded and given its buttons. Each caller gets its own copy of a row (callers annotate
    them). For a block as short as one reply: what it reads is not read again."""
    token = _shared_reads.set({})
    try:
        yield
    finally:
        _shared_reads.reset(token)


def catalog_reads_known(*, products=(), models=(), fits=()) -> None:
    """Rows a caller read in bulk inside a `catalog_reads_shared` block (nothing outside one):
    `product_get` of a part's own PS number, and `appliance_model_get` of a model's own number,
    answer with them; `fits`, (product id, model id, confidence) of compatibility rows, answer
    `compatibility_check` of that pair ("yes", as its own read would)."""
    shared = _shared_reads.get()
    if shared is None:
        return
    for product_id, model_id, confidence in fits:
        shared.setdefault(
            ("fit", product_id, model_id), CompatibilityResult(CompatibilityLevel.YES.value, float(confidence))
        )
    for product in products:
        if product.ps_number == product.ps_number.strip().upper():
            shared.setdefault(("product", product.ps_number), product)
    for model in models:
        if model.model_number == model.model_number.strip().upper():
            shared.setdefault(("model", model.model_number), model)


def _read_once(key: tuple, read: Callable[[], object]):
    shared = _shared_reads.get()
    if shared is None:
        return read()
    if key not in shared:
        shared[key] = read()
    found = shared[key]
    return copy.copy(found) if isinstance(found, Product | ApplianceModel) else found


def product_get(*, ps_number: str) -> Product | None:
    """A part by PS number or manufacturer part number, case-insensitively ("ps11750057",
    "PS 11750057", "wpw10350376" all work). PS numbers win over part numbers."""
    raw = (ps_number or "").strip().upper()
    if not raw or not text_is_clean(raw):  # a NUL or lone surrogate names no part (and fails in PostgreSQL)
        return None
    return _read_once(("product", raw), lambda: _product_read(raw))


def products_by_ps_number(*, ps_numbers) -> dict[str, Product | None]:
    """Parts by their PS numbers as stored (upper case): those this reply has read already
    (`catalog_reads_shared`, None for a number that named no part) from that read, the others in
    one query, whose rows the rest of the reply then reads from. A number no part has is absent."""
    shared = _shared_reads.get()
    found: dict[str, Product | None] = {}
    wanted = set()
    for ps_number in ps_numbers:
        if shared is not None and ("product", ps_number) in shared:
            found[ps_number] = _read_once(("product", ps_number), lambda: None)
        else:
            wanted.add(ps_number)
    if wanted:
        rows = list(Product.objects.filter(ps_number__in=wanted))
        catalog_reads_known(products=rows)
        found.update((product.ps_number, product) for product in rows)
    return found


def _product_read(raw: str) -> Product | None:
    candidates = {raw, identifier_key(raw)} - {""}
    found = list(
        Product.objects.alias(ps_upper=Upper("ps_number"), mpn_upper=Upper("manufacturer_part_number"))
        .filter(Q(ps_upper__in=candidates) | Q(mpn_upper__in=candidates))
        .order_by("ps_number")[:10]
    )
    if not found:
        return None
    by_ps = [p for p in found if p.ps_number.upper() in candidates]
    if by_ps:
        return by_ps[0]
    active = [p for p in found if p.is_active]
    return (active or found)[0]


def appliance_type_in_scope(*, appliance_type: str | None) -> bool:
    """Does the shop serve this appliance type? The scope is configuration (`PARLEY_SHOP_SCOPE`)."""
    return bool(appliance_type) and appliance_type in settings.PARLEY_SHOP_SCOPE


def product_is_sellable(*, product: Product | None) -> bool:
    """The one rule for "this part is sold here": it exists, is active (not discontinued) and its
    appliance type is in the shop's scope. Stock is a separate question (`product.in_stock`): an
    out-of-stock part is still sold here (it can be waited for), a discontinued one is not."""
    return product is not None and product.is_active and appliance_type_in_scope(appliance_type=product.appliance_type)


def product_named_sold(*, words: list[str]) -> bool:
    """Is a part whose name has every one of `words` (as written, any case) sold here
    (`product_is_sellable`)? Answered from the search index's copy of the active parts' names
    (as current as the index, `catalog.search.lexical`): in SQL, `name LIKE '%…%'` reads every
    name of a 100,000-part catalogue when no part is named so."""
    from catalog.search.lexical import cache

    return any(
        appliance_type_in_scope(appliance_type=appliance_type) for appliance_type in cache.get().named_types(words)
    )


def product_sellable_get(*, ps_number: str) -> Product | None:
    """`product_get`, but only a part `product_is_sellable` accepts (None otherwise)."""
    product = product_get(ps_number=ps_number)
    return product if product_is_sellable(product=product) else None


def appliance_model_get(*, model_number: str) -> ApplianceModel | None:
    """A model by number, ignoring case, spaces, dashes and dots ("wdt 780-saem1")."""
    raw = (model_number or "").strip().upper()
    key = identifier_key(raw)
    if not key:
        return None
    return _read_once(("model", raw), lambda: _appliance_model_read(raw, key))


def _appliance_model_read(raw: str, key: str) -> ApplianceModel | None:
    exact = ApplianceModel.objects.filter(model_number=raw).first()
    if exact is not None:
        return exact
    return ApplianceModel.objects.alias(key=model_number_key()).filter(key=key).order_by("model_number").first()


# --- compatibility --------------------------------------------------------------------


def compatibility_check(*, product: Product, appliance_model: ApplianceModel | None) -> CompatibilityResult:
    """Does `product` fit `appliance_model`? Returns (level, confidence).

    The rule, in order:
    1. A compatibility row exists → ("yes", its confidence).
    2. No model (unknown model number) → ("unknown", 0.0).
    3. The model is a different appliance type from the part → ("no", 1.0): a dishwasher
       part never fits a refrigerator.
    4. The model has compatibility rows, just not for this part → ("no", 0.9): the shop
       knows what fits this model and this part is not on the list; 0.9 rather than 1.0
       because the lists are curated and can be incomplete.
    5. The model has no compatibility rows at all → ("unknown", 0.0): we know nothing about
       what fits it, so silence is not evidence.
    The confidence is always "how sure we are of the level".
    """
    if appliance_model is None:
        return CompatibilityResult(CompatibilityLevel.UNKNOWN.value, 0.0)
    return _read_once(("fit", product.pk, appliance_model.pk), lambda: _compatibility_read(product, appliance_model))


def _compatibility_read(product: Product, appliance_model: ApplianceModel) -> CompatibilityResult:
    row = (
        Compatibility.objects.filter(product=product, appliance_model=appliance_model)
        .values_list("confidence", flat=True)
        .first()
    )
    if row is not None:
        return CompatibilityResult(CompatibilityLevel.YES.value, float(row))
    if product.appliance_type != appliance_model.appliance_type:
        return CompatibilityResult(CompatibilityLevel.NO.value, 1.0)
    if Compatibility.objects.filter(appliance_model=appliance_model).exists():
        return CompatibilityResult(CompatibilityLevel.NO.value, NOT_LISTED_CONFIDENCE)
    return CompatibilityResult(CompatibilityLevel.UNKNOWN.value, 0.0)


def _with_confidence(rows: QuerySet) -> list[Product]:
    """Products from Compatibility rows (select_related product), carrying `confidence`."""
    rows, products = list(rows), []
    for row in rows:
        product = row.product
        product.confidence = float(row.confidence)
        products.append(product)
    catalog_reads_known(fits=[(row.product_id, row.appliance_model_id, row.confidence) for row in rows])
    return products


def products_listed_for_brand(*, products: list[Product], brand: str) -> set[int]:
    """Ids of those of `products` made by `brand` or listed for at least one of its models (any
    case): a Maytag fridge takes Whirlpool parts. One query, for the parts not made by it."""
    made = {p.pk for p in products if p.brand.lower() == brand.lower()}
    others = [p.pk for p in products if p.pk not in made]
    if not others:
        return made
    # Each row's model read by its primary key: joined on the brand, the planner hashed every
    # model of the brand (a scan of all 50,000 models at a million parts) to match a few hundred rows.
    model_brand = Subquery(
        ApplianceModel.objects.filter(pk=OuterRef("appliance_model_id")).order_by().values("brand")[:1]
    )
    listed = (
        Compatibility.objects.filter(product_id__in=others)
        .annotate(model_brand=model_brand)
        .filter(model_brand__iexact=brand)
        .values_list("product_id", flat=True)
    )
    return made | set(listed)


def appliance_model_parts(
    *, appliance_model: ApplianceModel, limit: int = 50, offset: int = 0
) -> tuple[int, list[Product]]:
    """Active parts that fit a model: in stock first, then by confidence and rating.
    Returns (total count, one page of products carrying `confidence`)."""
    rows = Compatibility.objects.filter(appliance_model=appliance_model, product__is_active=True)
    total = rows.count()
    if offset >= total:  # past the end: no query (an offset past PostgreSQL's bigint was a DataError)
        return total, []
    page = (
        rows.select_related("product")
        .annotate(stock_rank=_in_stock_rank("product__"))
        .order_by("-stock_rank", "-confidence", "product__category", "-product__rating", "product__ps_number")
    )[offset : offset + limit]
    return total, _with_confidence(page)


def compatible_alternatives(
    *,
    product: Product | None = None,
    appliance_model: ApplianceModel | None = None,
    appliance_type: str | None = None,
    limit: int = 5,
) -> list[Product]:
    """Other parts that could do the job, in stock first, each with `confidence`.

    - product + model: parts of the product's category (its appliance type when it has no
      category) that fit the model; confidence is the fit to the model.
    - model only: parts that fit the model.
    - product only: parts of the same category and type that fit at least one of the
      models the product fits; confidence is the best fit among those shared models. If
      the product has no compatibility rows, same category, type and brand (confidence None).
    - appliance type only: the best-rated parts of that type (confidence None).
    The product itself and inactive parts are never returned.
    """
    limit = max(1, min(int(limit), 50))
    if appliance_model is not None:
        rows = Compatibility.objects.filter(appliance_model=appliance_model, product__is_active=True)
        if product is not None:
            rows = rows.exclude(product=product).filter(product__appliance_type=product.appliance_type)
            if product.category:
                rows = rows.filter(product__category=product.category)
        elif appliance_type:
            rows = rows.filter(product__appliance_type=appliance_type)
        rows = (
            rows.select_related("product")
            .annotate(stock_rank=_in_stock_rank("product__"))
            .order_by("-stock_rank", "-confidence", "-product__rating", "product__price", "product__ps_number")
        )
        return _with_confidence(rows[:limit])

    if product is not None:
        same_kind = Product.objects.filter(is_active=True, appliance_type=product.appliance_type).exclude(pk=product.pk)
        if product.category:
            same_kind = same_kind.filter(category=product.category)
        model_ids = Compatibility.objects.filter(product=product).values("appliance_model_id")
        shared = (
            same_kind.filter(compatibilities__appliance_model_id__in=model_ids)
            .annotate(confidence=Max("compatibilities__confidence"), shared=Count("compatibilities"))
            .annotate(stock_rank=_in_stock_rank())
            .order_by("-stock_rank", "-shared", "-confidence", "-rating", "ps_number")
        )
        results = list(shared[:limit])
        if results or Compatibility.objects.filter(product=product).exists():
            for item in results:
                item.confidence = float(item.confidence)
            return results
        fallback = same_kind.filter(brand=product.brand).annotate(stock_rank=_in_stock_rank())
        results = list(fallback.order_by("-stock_rank", "-rating", "ps_number")[:limit])
        for item in results:
            item.confidence = None
        return results

    if appliance_type:
        results = list(
            Product.objects.filter(is_active=True, appliance_type=appliance_type)
            .annotate(stock_rank=_in_stock_rank())
            .order_by("-stock_rank", "-rating", "-review_count", "ps_number")[:limit]
        )
        for item in results:
            item.confidence = None
        return results
    return []


# --- symptoms -------------------------------------------------------------------------


def _normalise_text(text: str) -> str:
    text = (text or "").lower().replace("'", "").replace("\u2019", "")
    return " ".join(_WORD.findall(text))


def symptom_matches(*, text: str, appliance_type: str | None = None, limit: int = 3) -> list[Symptom]:
    """Symptoms the text describes, best first.

    A symptom scores when one of its keywords (or its name) appears in the text as whole
    words (longer phrases score more), plus a little for each of its name's words present.
    A symptom of the appliance type named in the text ("my dishwasher …") beats one of the
    other type; `appliance_type` restricts the candidates outright.
    """
    normalised = f" {_normalise_text(text)} "
    if not normalised.strip():
        return []
    words = set(normalised.split())
    mentioned = appliance_type_mentioned(normalised.split())
    candidates = Symptom.objects.all()
    if appliance_type:
        candidates = candidates.filter(appliance_type=appliance_type)
    scored = []
    for symptom in candidates:
        score = 0.0
        for phrase in [symptom.name, *symptom.keywords]:
            phrase_norm = _normalise_text(phrase)
            if phrase_norm and f" {phrase_norm} " in normalised:
                score = max(score, 10.0 + 2 * len(phrase_norm.split()))
        name_words = {w for w in _normalise_text(symptom.name).split() if w not in STOP_WORDS}
        if name_words:
            score += 3.0 * len(name_words & words) / len(name_words)
        if score < 3.0:
            continue
        if mentioned and symptom.appliance_type == mentioned:
            score += 5.0
        scored.append((score, symptom.slug, symptom))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [symptom for _, _, symptom in scored[:limit]]


def symptom_match(*, text: str, appliance_type: str | None = None) -> Symptom | None:
    """The one symptom the text most likely describes, or None (see `symptom_matches`)."""
    matches = symptom_matches(text=text, appliance_type=appliance_type, limit=1)
    return matches[0] if matches else None


# How many active parts, in the order "in stock first, then best rated", are looked through for a
# symptom's best few (at most SYMPTOM_WALK_MOST of them) before its own list is read and sorted
# instead (`_symptom_parts_walked`): a common symptom's best three turn up within a few hundred.
SYMPTOM_WALK = 2000
SYMPTOM_WALK_MOST = 5


def _symptom_parts_walked(symptoms, *, appliance_type, brand, limit) -> list[Product] | None:
    """The symptom's best `limit` active parts, found by walking the active parts in that order
    (`catalog_product_rank_idx`) and keeping those that fix it, over at most SYMPTOM_WALK parts;
    None when fewer turn up. A symptom lists about the same share of the catalogue whatever its
    size, so the walk to a common symptom's best three takes as many steps at a million parts as at
    a hundred thousand, where sorting its own list reads ten times as many parts (6,000 of a
    common symptom at a million). The cap bounds the walk for a rare symptom, whose list is short."""
    walk = Product.objects.filter(is_active=True).annotate(stock_rank=active_stock_rank())
    inner, params = walk.order_by("-stock_rank", "-rating", "ps_number")[:SYMPTOM_WALK].query.sql_with_params()
    # The type and brand are asked of the parts walked, not in the walk: there they would make
    # it read past SYMPTOM_WALK parts to find as many of a rare brand.
    kept, kept_params = [], []
    if appliance_type:
        kept.append("walked.appliance_type = %s")
        kept_params.append(appliance_type)
    if brand:
        kept.append("UPPER(walked.brand) = UPPER(%s)")
        kept_params.append(brand)
    links = Product.symptoms.through._meta.db_table
    # A subquery in FROM (which the ORM does not write): its LIMIT keeps it the walk it is, and its
    # order carries through, so the outer LIMIT stops the walk at the last part it needs. The
    # symptom is looked up per part walked, by the (part, symptom) unique index: as an IN or an
    # EXISTS the planner may instead hash the whole walk against all the symptom's parts.
    placeholders = ", ".join(["%s"] * len(symptoms))
    # The ORM's SQL, a table name and placeholders: every value is a parameter.
    sql = (
        f"SELECT * FROM ({inner}) walked WHERE (SELECT 1 FROM {links} "  # noqa: S608
        f"WHERE product_id = walked.id AND symptom_id IN ({placeholders}) LIMIT 1) IS NOT NULL "
        + "".join(f"AND {condition} " for condition in kept)
        + "ORDER BY walked.stock_rank DESC, walked.rating DESC, walked.ps_number LIMIT %s"
    )
    found = list(Product.objects.raw(sql, (*params, *(s.pk for s in symptoms), *kept_params, limit)))
    if len(found) < limit:
        return None
    for item in found:
        item.confidence = None
    return found


def parts_for_symptom(
    *,
    symptom: Symptom | None = None,
    symptom_text: str | None = None,
    slug: str | None = None,
    appliance_type: str | None = None,
    brand: str | None = None,
    appliance_model: ApplianceModel | None = None,
    limit: int = 5,
) -> list[Product]:
    """Active parts that fix a symptom (given as a Symptom, a slug or the customer's words).

    Filtered by appliance type, brand and, when a model is given, to parts that fit it
    (each then carries `confidence`; otherwise `confidence` is None). In stock first, then
    best rated.
    """
    limit = max(1, min(int(limit), 50))
    if appliance_model is not None:
        appliance_type = appliance_model.appliance_type
    if symptom is not None:
        symptoms = [symptom]
    elif slug:
        symptoms = list(Symptom.objects.filter(slug=slug.strip().lower()))
    elif symptom_text:
        symptoms = symptom_matches(text=symptom_text, appliance_type=appliance_type, limit=1)
    else:
        symptoms = []
    if not symptoms:
        return []
    if appliance_model is None and limit <= SYMPTOM_WALK_MOST:
        walked = _symptom_parts_walked(symptoms, appliance_type=appliance_type, brand=brand, limit=limit)
        if walked is not None:
            return walked
    # A subquery instead of a join: no DISTINCT over wide rows, which on a large catalogue cost
    # more than everything else in a reply.
    fixes = Product.symptoms.through.objects.filter(symptom__in=symptoms).values("product_id")
    products = Product.objects.filter(is_active=True, id__in=fixes)
    if appliance_type:
        products = products.filter(appliance_type=appliance_type)
    if brand:
        products = products.filter(brand__iexact=brand)
    if appliance_model is not None:
        # Joined, so that the model's list (a hundred rows or so, whatever the catalogue's size)
        # is what is read, each row checked against the symptom: a subquery per part read every
        # part of the symptom (thousands, ten times more at ten times the parts) to look each up.
        products = products.filter(compatibilities__appliance_model=appliance_model).annotate(
            confidence=F("compatibilities__confidence")
        )
    else:
        products = products.annotate(confidence=Value(None, output_field=IntegerField()))
    products = products.annotate(stock_rank=_in_stock_rank())
    results = list(
        products.order_by("-stock_rank", F("confidence").desc(nulls_last=True), "-rating", "ps_number")[:limit]
    )
    for item in results:
        item.confidence = float(item.confidence) if item.confidence is not None else None
    if appliance_model is not None:
        catalog_reads_known(fits=[(item.pk, appliance_model.pk, item.confidence) for item in results])
    return results


# --- search ---------------------------------------------------------------------------


def product_search(*, query: str, limit: int = 10, semantic: bool = True) -> list[Product]:
    """Products for a free-text query, best first (the pipeline is in catalog/search/engine.py).

    1. Exact identifiers: a PS number or manufacturer part number in the query returns
       that part; a model number returns the parts that fit it.
    2. Lexical: BM25 over the active catalogue, parts with every term first ("all_terms"),
       then parts with some ("any_term"); misspellings corrected against catalogue words.
    3. Semantic: sentence-embedding neighbours ("semantic") when vectors are built, fused
       with the lexical list by reciprocal rank.
    Each product carries `match` and `score`. Inactive parts come only from exact matches.
    """
    from catalog.search.engine import search_products

    return search_products(query=query, limit=limit, semantic=semantic)
