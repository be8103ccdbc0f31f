"""A synthetic catalogue that reads like a real one, of any size, for benchmarks and load tests.

Parts are composed from the vocabulary in `synthetic_vocabulary`: a kind of part, where it sits,
its finish, a variant and a kit suffix make tens of thousands of distinct names at 100,000 parts;
manufacturer and model numbers follow each brand's real formats (Whirlpool W10…, Samsung DA97-…,
GE WR…X…, Frigidaire 24…, LG EBR…); how many models a part fits is drawn from a log-normal, so
most parts fit a handful of neighbouring models and a few fit hundreds, across the brands built
on the same lines. Prices, stock, ratings and install times are drawn around each kind's typical
values; each part fixes its kind's problems, published per brand ("gen-samsung-refrigerator-…").

Same `seed` and sizes → the same rows (one random stream, independent of `chunk_size`). Nothing
collides with the demo catalogue: PS numbers are PS9xxxxxxx (the demo's are PS1…), symptom slugs
start with "gen-", and model and manufacturer numbers the demo uses are never drawn. Rows are
produced in chunks. Into a catalogue that has none of them yet they are written straight into
the tables (COPY on PostgreSQL, one prepared INSERT stepped per row elsewhere): no read-back, no
per-row comparison, 1,000,000 parts in minutes. When any of them exists already the chunks go
through `catalog_import` instead, so a re-run is an idempotent no-op.
"""

import bisect
import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from catalog.error_codes import CatalogErrorCode
from catalog.exceptions import CatalogError
from catalog.images import shipped_picture_path
from catalog.models import ApplianceModel, Compatibility, Product, Symptom
from catalog.services.demo import demo_catalog_read
from catalog.services.imports import (
    PRODUCT_FIELDS,
    CatalogImportResult,
    Progress,
    UpsertCounts,
    catalog_import,
)
from catalog.services.synthetic_vocabulary import (
    APPLIANCES,
    BRAND_GROUP,
    BRAND_WEIGHTS,
    CLOSERS,
    DIFFICULTIES,
    FINISHES,
    INSTALL,
    KINDS,
    MATERIALS,
    MODEL_FORMATS,
    MPN_FORMATS,
    POSITIONS,
    PROBLEMS,
    STYLES,
    SUFFIXES,
    Kind,
)

MAX_PARTS = 10_000_000  # PS9 + 7 digits
BRANDS = list(BRAND_WEIGHTS)
_BRAND_CUMULATIVE = list(accumulate(BRAND_WEIGHTS.values()))
LETTERS = "ABCDEFGHJKLMNPRSTVWXYZ"  # no I, O, Q, U: manufacturers avoid them next to digits
# Degree (models a part fits) ~ log-normal: median e^1.1 ≈ 3, mean ≈ 5, and a tail of hundreds.
DEGREE_MU, DEGREE_SIGMA, DEGREE_MAX = 1.1, 1.05, 800
BRAND_PRICE = {"Bosch": 1.25, "KitchenAid": 1.15, "Samsung": 1.1, "LG": 1.1}


@dataclass(frozen=True)
class _Model:
    number: str
    brand: str
    appliance: str
    family: str
    style: str


def _pick_brand(rnd: random.Random) -> str:
    return BRANDS[bisect.bisect_right(_BRAND_CUMULATIVE, rnd.random() * _BRAND_CUMULATIVE[-1])]


def _fill(rnd: random.Random, pattern: str) -> str:
    out = []
    for char in pattern:
        if char == "#":
            out.append("0123456789"[rnd.randrange(10)])
        elif char == "@":
            out.append(LETTERS[rnd.randrange(len(LETTERS))])
        else:
            out.append(char)
    return "".join(out)


def _fresh(rnd: random.Random, formats: list[tuple[str, str]], used: set[str]) -> tuple[str, str]:
    """A number in one of `formats` not in `used` (and now in it), and the prefix it has."""
    while True:
        prefix, pattern = formats[rnd.randrange(len(formats))]
        number = prefix + _fill(rnd, pattern)
        if number not in used:
            used.add(number)
            return number, prefix


def _demo_identifiers() -> tuple[set[str], set[str]]:
    demo = demo_catalog_read()
    return (
        {str(p.get("manufacturer_part_number", "")).upper() for p in demo["parts"]},
        {str(m["model_number"]).upper() for m in demo["models"]},
    )


def _models(count: int, rnd: random.Random, used: set[str]) -> list[_Model]:
    """One model per brand and appliance first (every part has a model to fit), then brands by weight."""
    pairs = [(b, a) for b in BRANDS for a in APPLIANCES]
    rows = []
    for i in range(count):
        brand, appliance = pairs[i] if i < len(pairs) else (_pick_brand(rnd), APPLIANCES[rnd.random() >= 0.55])
        number, prefix = _fresh(rnd, MODEL_FORMATS[brand][appliance], used)
        styles = STYLES[appliance]
        rows.append(_Model(number, brand, appliance, number[: len(prefix) + 2], styles[rnd.randrange(len(styles))]))
    return rows


def _model_row(m: _Model) -> dict:
    return {
        "model_number": m.number,
        "brand": m.brand,
        "appliance_type": m.appliance,
        "name": f"{m.brand} {m.style} {m.appliance.title()} {m.number}",
    }


def _symptom_slug(brand: str, appliance: str, problem: str) -> str:
    return f"gen-{brand.lower()}-{appliance}-{problem}"


def _symptoms() -> list[dict]:
    rows = []
    for brand in BRANDS:
        for appliance, problems in PROBLEMS.items():
            for key, (name, phrases) in problems.items():
                b = brand.lower()
                rows.append(
                    {
                        "slug": _symptom_slug(brand, appliance, key),
                        "name": f"{brand} {appliance} {name}",
                        "appliance_type": appliance,
                        "keywords": [f"{b} {appliance} {name}", f"{b} {name}", *(f"{b} {p}" for p in phrases)],
                    }
                )
    return rows


class _Pools:
    """Models a part can fit: those of its appliance built on its brand's lines, sorted so one
    brand's models (and within them one family's) sit together. A part fits a run of neighbours
    starting inside its own brand's block, so small degrees stay in-brand and big ones spill over."""

    def __init__(self, models: list[_Model]):
        self.pools: dict[tuple[str, str], list[_Model]] = {}
        for m in sorted(models, key=lambda m: (m.brand, m.number)):
            self.pools.setdefault((BRAND_GROUP[m.brand], m.appliance), []).append(m)
        self.blocks: dict[tuple[str, str], tuple[int, int]] = {}
        for pool in self.pools.values():
            for index, m in enumerate(pool):
                start, length = self.blocks.get((m.brand, m.appliance), (index, 0))
                self.blocks[(m.brand, m.appliance)] = (start, length + 1)

    def fit(self, rnd: random.Random, brand: str, appliance: str) -> list[_Model]:
        pool = self.pools[(BRAND_GROUP[brand], appliance)]
        start, length = self.blocks[(brand, appliance)]
        degree = min(len(pool), DEGREE_MAX, max(1, int(math.exp(rnd.gauss(DEGREE_MU, DEGREE_SIGMA)))))
        first = start + rnd.randrange(length)
        return [pool[(first + k) % len(pool)] for k in range(degree)]


def _price(rnd: random.Random, kind: Kind, brand: str) -> str:
    value = kind.price * BRAND_PRICE.get(brand, 1.0) * math.exp(rnd.gauss(0, 0.35))
    cents = (99, 99, 49, 95, 29, 89)[rnd.randrange(6)]
    return f"{max(2, int(value))}.{cents:02d}"


def _rating(rnd: random.Random) -> tuple[str | None, int]:
    reviews = 0 if rnd.random() < 0.08 else int(math.exp(rnd.gauss(2.3, 1.5)))
    if not reviews:
        return None, 0
    # Few reviews → a noisier average; most parts sit between 4 and 5 stars.
    spread = 0.3 + 1.2 / math.sqrt(reviews + 1)
    return f"{min(5.0, max(1.0, rnd.gauss(4.5, spread))):.1f}", reviews


def _name(rnd: random.Random, kind: Kind, appliance: str) -> str:
    # Listings name the appliance first about half the time ("Refrigerator Door Shelf Bin").
    words = [appliance.title()] if rnd.random() < 0.45 else []
    positions, finishes = POSITIONS[kind.positions], FINISHES[kind.finish]
    if positions and rnd.random() < 0.7:
        words.append(positions[rnd.randrange(len(positions))])
    if finishes and rnd.random() < 0.6:
        words.append(finishes[rnd.randrange(len(finishes))])
    words.append(kind.name)
    if rnd.random() < 0.35:
        words.append(SUFFIXES[rnd.randrange(len(SUFFIXES))])
    name = " ".join(words)
    if rnd.random() < 0.75:
        name += ", " + kind.specs[rnd.randrange(len(kind.specs))]
    return name


def _part(i: int, rnd: random.Random, pools: _Pools, used_mpns: set[str]) -> tuple[dict, list[dict]]:
    brand = _pick_brand(rnd)
    appliance = APPLIANCES[rnd.random() >= 0.55]
    kinds = KINDS[appliance]
    kind = kinds[rnd.randrange(len(kinds))]
    name = _name(rnd, kind, appliance)
    formats = MPN_FORMATS[brand][appliance]
    mpn, _ = _fresh(rnd, formats, used_mpns)
    replaced = [_fresh(rnd, formats, used_mpns)[0] for _ in range(min(3, int(rnd.expovariate(1.2))))]
    fits = pools.fit(rnd, brand, appliance)
    families = list(dict.fromkeys(m.family for m in fits))[:3]
    problems = rnd.sample(kind.problems, rnd.randint(1, min(3, len(kind.problems))))
    problem_names = [PROBLEMS[appliance][p][0] for p in problems]

    sentences = [
        f"{brand} {appliance} {name.lower()} ({mpn}) for {fits[0].style.lower()} models of the "
        f"{', '.join(families)} series.",
        f"It {kind.function}; made of {MATERIALS[kind.finish]}.",
    ]
    if replaced:
        sentences.append(f"Replaces {', '.join(replaced)}.")
    sentences.append(f"Fixes: {', '.join(problem_names)}.")
    if rnd.random() < 0.5:
        sentences.append(CLOSERS[rnd.randrange(len(CLOSERS))])

    ps = _ps_number(i)
    active = rnd.random() >= 0.015
    stock = 0 if not active or rnd.random() < 0.1 else min(2000, 1 + int(math.exp(rnd.gauss(2.6, 1.1))))
    rating, reviews = _rating(rnd)
    difficulty = min(3, max(0, kind.difficulty + (rnd.random() < 0.15) - (rnd.random() < 0.15)))
    steps, kits = INSTALL[kind.method]
    part = {
        "ps_number": ps,
        "manufacturer_part_number": mpn,
        "name": name,
        "description": " ".join(sentences),
        "brand": brand,
        "appliance_type": appliance,
        "category": kind.category,
        "price": _price(rnd, kind, brand),
        "currency": "USD",
        "stock_quantity": stock,
        "backordered": active and stock == 0 and rnd.random() < 0.55,
        "is_active": active,
        "image_url": shipped_picture_path(appliance, kind.category),
        "rating": rating,
        "review_count": reviews,
        "install_steps": [s.format(part=kind.name.lower(), appliance=appliance) for s in steps],
        "install_difficulty": DIFFICULTIES[difficulty],
        "install_time_minutes": max(5, 5 * round(kind.minutes * math.exp(rnd.gauss(0, 0.35)) / 5)),
        "install_tools": list(kits[rnd.randrange(len(kits))]),
        "symptoms": [_symptom_slug(brand, appliance, p) for p in problems],
    }
    compat = []
    for m in fits:
        # The maker's own models are confirmed; a sister brand's fit is a cross-reference.
        if m.brand == brand and rnd.random() < 0.9:
            confidence, source = 1.0, "manufacturer"
        else:
            confidence, source = round(0.7 + 0.25 * rnd.random(), 2), "cross_reference"
        compat.append({"ps_number": ps, "model_number": m.number, "confidence": confidence, "source": source})
    return part, compat


def _part_chunks(
    *, parts: int, pools: _Pools, rnd: random.Random, used_mpns: set[str], chunk_size: int
) -> Iterator[tuple[list[dict], list[dict]]]:
    for start in range(0, parts, chunk_size):
        part_rows, compat_rows = [], []
        for i in range(start, min(start + chunk_size, parts)):
            part, compat = _part(i, rnd, pools, used_mpns)
            part_rows.append(part)
            compat_rows.extend(compat)
        yield part_rows, compat_rows


def _ps_number(i: int) -> str:
    return f"PS9{i:07d}"


def _insert(model: type[Model], columns: list[str], rows: list[tuple]) -> None:
    """Plain INSERT of rows already in their database form: COPY on PostgreSQL, else one
    prepared statement stepped per row. Only for rows known to be new."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    column_sql = ", ".join(qn(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders})", rows)  # noqa: S608


class _FreshWriter:
    """Writes chunks of parts nobody has written yet: parts, then their symptom links and fits,
    ids read back by the chunk's PS number range (one indexed range scan)."""

    PART_COLUMNS = ["ps_number", *PRODUCT_FIELDS, "created_at", "updated_at"]
    COMPAT_COLUMNS = ["product", "appliance_model", "confidence", "source", "created_at", "updated_at"]

    def __init__(self):
        self.symptom_ids = dict(Symptom.objects.filter(slug__startswith="gen-").values_list("slug", "id"))
        self.model_ids = dict(ApplianceModel.objects.values_list("model_number", "id"))
        self.stamp = Product._meta.get_field("created_at")
        self.links = Product.symptoms.through

    def _part_values(self, row: dict, stamp) -> tuple:
        """A generated part row as the import stores it (a re-run through `catalog_import` finds
        it unchanged): decimals for price and rating, JSON text for the lists."""
        values = []
        for name in self.PART_COLUMNS[:-2]:
            value = row[name]
            if name in ("price", "rating") and value is not None:
                value = Decimal(value)
            elif name in ("install_steps", "install_tools"):
                value = json.dumps(value)
            values.append(value)
        return (*values, stamp, stamp)

    def write(self, part_rows: list[dict], compat_rows: list[dict], result: CatalogImportResult) -> None:
        stamp = self.stamp.get_db_prep_save(timezone.now(), connection)
        _insert(Product, self.PART_COLUMNS, [self._part_values(row, stamp) for row in part_rows])
        ids = dict(
            Product.objects.filter(
                ps_number__gte=part_rows[0]["ps_number"], ps_number__lte=part_rows[-1]["ps_number"]
            ).values_list("ps_number", "id")
        )
        links = [
            (ids[row["ps_number"]], self.symptom_ids[slug]) for row in part_rows for slug in sorted(row["symptoms"])
        ]
        _insert(self.links, ["product", "symptom"], links)
        fits = [
            (ids[c["ps_number"]], self.model_ids[c["model_number"]], c["confidence"], c["source"], stamp, stamp)
            for c in compat_rows
        ]
        _insert(Compatibility, self.COMPAT_COLUMNS, fits)
        result.parts.created += len(part_rows)
        result.compatibility.created += len(fits)
        result.symptom_links_added += len(links)


def _add(total: UpsertCounts, part: UpsertCounts) -> None:
    total.created += part.created
    total.updated += part.updated
    total.unchanged += part.unchanged


@transaction.atomic
def catalog_synthetic_generate(
    *,
    parts: int,
    models: int,
    seed: int = 1,
    chunk_size: int = 5000,
    batch_size: int = 2000,
    progress: Progress | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> CatalogImportResult:
    """Generate and upsert `parts` parts and `models` appliance models, with per-brand symptoms
    and long-tailed compatibility (see the module docstring), in one transaction.

    `on_chunk(n)` is called after each chunk of n parts is written (for a progress bar).
    """
    if not 1 <= parts <= MAX_PARTS:
        raise CatalogError(f"parts must be between 1 and {MAX_PARTS}.", code=CatalogErrorCode.INVALID_SIZE)
    min_models = len(BRANDS) * len(APPLIANCES)
    if models < min_models:
        raise CatalogError(
            f"models must be at least {min_models} (one per brand and appliance type).",
            code=CatalogErrorCode.INVALID_SIZE,
        )
    rnd = random.Random(seed)
    used_mpns, used_models = _demo_identifiers()
    model_list = _models(models, rnd, used_models)
    result = catalog_import(
        symptoms=_symptoms(), models=[_model_row(m) for m in model_list], batch_size=batch_size, progress=progress
    )
    chunks = _part_chunks(parts=parts, pools=_Pools(model_list), rnd=rnd, used_mpns=used_mpns, chunk_size=chunk_size)
    fresh = not Product.objects.filter(ps_number__gte=_ps_number(0), ps_number__lte=_ps_number(parts - 1)).exists()
    writer = _FreshWriter() if fresh else None
    for part_rows, compat_rows in chunks:
        if writer is not None:
            writer.write(part_rows, compat_rows, result)
        else:
            chunk = catalog_import(parts=part_rows, compatibility=compat_rows, batch_size=batch_size, progress=progress)
            _add(result.parts, chunk.parts)
            _add(result.compatibility, chunk.compatibility)
            result.symptom_links_added += chunk.symptom_links_added
            result.symptom_links_removed += chunk.symptom_links_removed
        if on_chunk:
            on_chunk(len(part_rows))
    return result
