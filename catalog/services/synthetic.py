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
the tables (binary COPY on PostgreSQL, one prepared INSERT stepped per row elsewhere): no
read-back, no per-row comparison. A large first run on PostgreSQL (`BULK_LOAD_FROM` parts or
more, into tables it more than doubles) also sets the tables' secondary indexes and constraints
aside until its rows are in (`catalog.services.bulk_load`): 1,000,000 parts in about three
minutes. When any of the parts exists already the chunks go through `catalog_import` instead, so
a re-run is an idempotent no-op.
"""

import bisect
import json
import math
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
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
from catalog.services.bulk_load import indexes_deferred, rows_copy
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
# Parts; a smaller run saves seconds at most, not worth locking the tables and altering the schema.
BULK_LOAD_FROM = 50_000
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
            out.append(rnd.choice("0123456789"))
        elif char == "@":
            out.append(rnd.choice(LETTERS))
        else:
            out.append(char)
    return "".join(out)


def _fresh(rnd: random.Random, formats: list[tuple[str, str]], used: set[str]) -> tuple[str, str]:
    """A number in one of `formats` not in `used` (and now in it), and the prefix it has."""
    while True:
        prefix, pattern = rnd.choice(formats)
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
        rows.append(_Model(number, brand, appliance, number[: len(prefix) + 2], rnd.choice(styles)))
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
    cents = rnd.choice((99, 99, 49, 95, 29, 89))
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
        words.append(rnd.choice(positions))
    if finishes and rnd.random() < 0.6:
        words.append(rnd.choice(finishes))
    words.append(kind.name)
    if rnd.random() < 0.35:
        words.append(rnd.choice(SUFFIXES))
    name = " ".join(words)
    if rnd.random() < 0.75:
        name += ", " + rnd.choice(kind.specs)
    return name


def _part(i: int, rnd: random.Random, pools: _Pools, used_mpns: set[str]) -> tuple[dict, list[dict]]:
    brand = _pick_brand(rnd)
    appliance = APPLIANCES[rnd.random() >= 0.55]
    kinds = KINDS[appliance]
    kind = rnd.choice(kinds)
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
        sentences.append(rnd.choice(CLOSERS))

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
        "install_tools": list(rnd.choice(kits)),
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
    """Plain INSERT of rows known to be new: binary COPY on PostgreSQL, else one prepared
    statement stepped per row (JSON as text there)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    column_names = [model._meta.get_field(c).column for c in columns]
    if connection.vendor == "postgresql":
        rows_copy(table, column_names, rows)
        return
    column_sql = ", ".join(qn(c) for c in column_names)
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders})", rows)  # noqa: S608


class _FreshWriter:
    """Writes chunks of parts nobody has written yet: parts, then their symptom links and fits."""

    PART_COLUMNS = ["ps_number", *PRODUCT_FIELDS, "created_at", "updated_at"]
    COMPAT_COLUMNS = ["product", "appliance_model", "confidence", "source", "created_at", "updated_at"]

    def __init__(self):
        self.symptom_ids = dict(Symptom.objects.filter(slug__startswith="gen-").values_list("slug", "id"))
        self.model_ids = dict(ApplianceModel.objects.values_list("model_number", "id"))
        self.stamp = Product._meta.get_field("created_at")
        self.links = Product.symptoms.through
        self.copies = connection.vendor == "postgresql"
        if self.copies:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Product._meta.db_table])
                self.sequence = cursor.fetchone()[0]

    def _part_values(self, row: dict, stamp) -> tuple:
        """A generated part row as the import stores it (a re-run through `catalog_import` finds
        it unchanged): decimals for price and rating, the lists as they are for binary COPY or
        as JSON text for an INSERT."""
        values = []
        for name in self.PART_COLUMNS[:-2]:
            value = row[name]
            if name in ("price", "rating") and value is not None:
                value = Decimal(value)
            elif name in ("install_steps", "install_tools") and not self.copies:
                value = json.dumps(value)
            values.append(value)
        return (*values, stamp, stamp)

    def _insert_parts(self, part_rows: list[dict], stamp) -> dict[str, int]:
        """Write a chunk's parts; their ids by PS number. On PostgreSQL the ids are drawn from the
        table's sequence and written with the rows (a bulk load has no index on ps_number to read
        them back by); elsewhere they are read back by the chunk's PS number range."""
        values = [self._part_values(row, stamp) for row in part_rows]
        numbers = [row["ps_number"] for row in part_rows]
        if not self.copies:
            _insert(Product, self.PART_COLUMNS, values)
            chunk = Product.objects.filter(ps_number__gte=numbers[0], ps_number__lte=numbers[-1])
            return dict(chunk.values_list("ps_number", "id"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [self.sequence, len(values)])
            ids = sorted(i for (i,) in cursor.fetchall())
        _insert(Product, ["id", *self.PART_COLUMNS], [(i, *v) for i, v in zip(ids, values, strict=True)])
        return dict(zip(numbers, ids, strict=True))

    def write(self, part_rows: list[dict], compat_rows: list[dict], result: CatalogImportResult) -> None:
        stamp = self.stamp.get_db_prep_save(timezone.now(), connection)
        ids = self._insert_parts(part_rows, stamp)
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


def _worth_a_bulk_load(parts: int, bulk_from: int) -> bool:
    """On PostgreSQL, a first run of at least `bulk_from` parts into a table holding fewer parts
    than it adds: building the indexes again then costs less than keeping them up to date row by
    row (they are built over every row of the table, not only the new ones)."""
    if connection.vendor != "postgresql" or parts < bulk_from:
        return False
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Product._meta.db_table)
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT %s) AS held", [parts])  # noqa: S608
        return cursor.fetchone()[0] < parts


@contextmanager
def _bulk_load() -> Iterator[None]:
    """The tables a first run fills, without their secondary indexes and constraints until it ends
    (`catalog.services.bulk_load`); a benchmark's catalogue need not wait for the disk at commit."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
    with indexes_deferred([Product, Product.symptoms.through, Compatibility]):
        yield


def _add(total: UpsertCounts, part: UpsertCounts) -> None:
    total.created += part.created
    total.updated += part.updated
    total.unchanged += part.unchanged


def catalog_synthetic_generate(
    *,
    parts: int,
    models: int,
    seed: int = 1,
    chunk_size: int = 5000,
    batch_size: int = 2000,
    bulk_from: int = BULK_LOAD_FROM,
    progress: Progress | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> CatalogImportResult:
    """Generate and upsert `parts` parts and `models` appliance models, with per-brand symptoms
    and long-tailed compatibility (see the module docstring), in one transaction.

    A first run of `bulk_from` parts or more on PostgreSQL, in a transaction of its own, writes
    them with the tables' secondary indexes and constraints set aside, made again at the end
    (`_worth_a_bulk_load`). `on_chunk(n)` is called after each chunk of n parts is written (for a
    progress bar).
    """
    if not 1 <= parts <= MAX_PARTS:
        raise CatalogError(f"parts must be between 1 and {MAX_PARTS}.", code=CatalogErrorCode.INVALID_SIZE)
    min_models = len(BRANDS) * len(APPLIANCES)
    if models < min_models:
        raise CatalogError(
            f"models must be at least {min_models} (one per brand and appliance type).",
            code=CatalogErrorCode.INVALID_SIZE,
        )
    # PostgreSQL refuses to alter a table while the transaction holds deferred checks pending on it,
    # which a caller's enclosing transaction may: only a run's own transaction loads in bulk.
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        rnd = random.Random(seed)
        used_mpns, used_models = _demo_identifiers()
        model_list = _models(models, rnd, used_models)
        result = catalog_import(
            symptoms=_symptoms(), models=[_model_row(m) for m in model_list], batch_size=batch_size, progress=progress
        )
        pools = _Pools(model_list)
        chunks = _part_chunks(parts=parts, pools=pools, rnd=rnd, used_mpns=used_mpns, chunk_size=chunk_size)
        generated = Product.objects.filter(ps_number__gte=_ps_number(0), ps_number__lte=_ps_number(parts - 1))
        writer = None if generated.exists() else _FreshWriter()
        bulk = writer is not None and own_transaction and _worth_a_bulk_load(parts, bulk_from)
        with _bulk_load() if bulk else nullcontext():
            for part_rows, compat_rows in chunks:
                if writer is not None:
                    writer.write(part_rows, compat_rows, result)
                else:
                    chunk = catalog_import(
                        parts=part_rows, compatibility=compat_rows, batch_size=batch_size, progress=progress
                    )
                    _add(result.parts, chunk.parts)
                    _add(result.compatibility, chunk.compatibility)
                    result.symptom_links_added += chunk.symptom_links_added
                    result.symptom_links_removed += chunk.symptom_links_removed
                if on_chunk:
                    on_chunk(len(part_rows))
    return result
