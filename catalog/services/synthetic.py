"""A deterministic synthetic catalogue of any size, for benchmarks and load tests.

Same `seed` and sizes → the same rows. Identifiers never collide with the demo catalogue:
PS numbers are PS9xxxxxxx (the demo uses PS1xxxxxxx), model numbers start with "Z",
symptom slugs with "gen-". Rows are produced in chunks so 100,000+ parts never sit in
memory at once, and written through `catalog_import` (so a re-run is an idempotent no-op).
"""

import random
from collections.abc import Callable, Iterator

from django.db import transaction

from catalog.error_codes import CatalogErrorCode
from catalog.exceptions import CatalogError
from catalog.services.imports import CatalogImportResult, Progress, UpsertCounts, catalog_import

MAX_PARTS = 10_000_000  # PS9 + 7 digits
BRANDS = ["Whirlpool", "GE", "Frigidaire", "Samsung", "LG", "Bosch", "KitchenAid", "Maytag", "Kenmore"]
TYPES = {
    "refrigerator": [
        ("Door Shelf Bin", "Bins and Shelves"),
        ("Ice Maker Assembly", "Ice Makers"),
        ("Water Inlet Valve", "Valves"),
        ("Door Gasket", "Seals and Gaskets"),
        ("Defrost Thermostat", "Thermostats"),
        ("Evaporator Fan Motor", "Motors"),
        ("Water Filter", "Filters"),
        ("Crisper Drawer", "Drawers and Glides"),
        ("Main Control Board", "Circuit Boards"),
        ("Door Handle", "Handles"),
    ],
    "dishwasher": [
        ("Upper Rack Adjuster", "Dishrack Adjusters"),
        ("Lower Rack Wheel", "Wheels and Rollers"),
        ("Drain Pump", "Pumps"),
        ("Lower Spray Arm", "Spray Arms"),
        ("Door Gasket", "Seals and Gaskets"),
        ("Water Inlet Valve", "Valves"),
        ("Door Latch Assembly", "Latches"),
        ("Heating Element", "Heating Elements"),
        ("Silverware Basket", "Baskets"),
        ("Filter Assembly", "Filters"),
    ],
}
PROBLEMS = ["not working", "leaking", "noisy", "broken"]
DIFFICULTIES = ["really_easy", "easy", "moderate", "difficult"]


def _symptoms() -> list[dict]:
    rows = []
    for appliance, types in TYPES.items():
        for name, _ in types:
            for problem in PROBLEMS:
                label = f"{appliance.title()} {name.lower()} {problem}"
                slug = "gen-" + "-".join(label.lower().split())
                rows.append(
                    {
                        "slug": slug,
                        "name": label,
                        "appliance_type": appliance,
                        "keywords": [f"{name.lower()} {problem}", f"{appliance} {problem}"],
                    }
                )
    return rows


def _models(count: int) -> list[dict]:
    rows = []
    appliances = list(TYPES)
    for i in range(count):
        brand = BRANDS[i % len(BRANDS)]
        appliance = appliances[(i // len(BRANDS)) % 2]
        number = f"Z{brand[:2].upper()}{appliance[0].upper()}{i:06d}"
        rows.append(
            {
                "model_number": number,
                "brand": brand,
                "appliance_type": appliance,
                "name": f"{brand} {appliance.title()} {number}",
            }
        )
    return rows


def _part_chunks(
    *, parts: int, models: list[dict], seed: int, chunk_size: int
) -> Iterator[tuple[list[dict], list[dict]]]:
    rnd = random.Random(seed)
    pools: dict[tuple[str, str], list[str]] = {}
    for m in models:
        pools.setdefault((m["brand"], m["appliance_type"]), []).append(m["model_number"])
    keys = sorted(pools)
    for start in range(0, parts, chunk_size):
        part_rows, compat_rows = [], []
        for i in range(start, min(start + chunk_size, parts)):
            brand, appliance = keys[i % len(keys)]
            name, category = TYPES[appliance][rnd.randrange(len(TYPES[appliance]))]
            ps = f"PS9{i:07d}"
            roll = rnd.random()
            stock = 0 if roll < 0.15 else rnd.randint(1, 200)
            full_name = f"{brand} {appliance.title()} {name}"
            part_rows.append(
                {
                    "ps_number": ps,
                    "manufacturer_part_number": f"ZX{seed % 100:02d}{i:08d}",
                    "name": full_name,
                    "description": f"Synthetic {full_name.lower()} for benchmarks ({category.lower()}).",
                    "brand": brand,
                    "appliance_type": appliance,
                    "category": category,
                    "price": f"{rnd.randint(5, 300)}.{rnd.randint(0, 99):02d}",
                    "stock_quantity": stock,
                    "backordered": stock == 0 and roll < 0.05,
                    "image_url": f"https://images.parley.example/parts/{ps}.jpg",
                    "rating": f"{rnd.randint(35, 50) / 10:.1f}",
                    "review_count": rnd.randint(0, 500),
                    "install_steps": [
                        f"Disconnect power to the {appliance}.",
                        f"Remove the old {name.lower()}.",
                        f"Fit the new {name.lower()}.",
                        "Restore power and test.",
                    ],
                    "install_difficulty": DIFFICULTIES[rnd.randrange(4)],
                    "install_time_minutes": rnd.choice([5, 10, 15, 30, 45, 60]),
                    "install_tools": rnd.choice([[], ["Phillips screwdriver"], ["1/4-inch nut driver", "Towel"]]),
                    "symptoms": [
                        "gen-" + "-".join(f"{appliance} {name} {p}".lower().split())
                        for p in rnd.sample(PROBLEMS, rnd.randint(1, 2))
                    ],
                }
            )
            pool = pools[(brand, appliance)]
            for model_number in rnd.sample(pool, min(len(pool), rnd.randint(2, 8))):
                r = rnd.random()
                confidence = 1.0 if r < 0.8 else round(0.5 + r * 0.45, 2)
                compat_rows.append(
                    {
                        "ps_number": ps,
                        "model_number": model_number,
                        "confidence": confidence,
                        "source": "manufacturer" if confidence == 1.0 else "cross_reference",
                    }
                )
        yield part_rows, compat_rows


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
    """Generate and upsert `parts` parts and `models` appliance models (with symptoms and
    2–8 compatible models of the part's brand and type each), in one transaction.

    `on_chunk(n)` is called after each chunk of n parts is written (for a progress bar).
    """
    if not 1 <= parts <= MAX_PARTS:
        raise CatalogError(f"parts must be between 1 and {MAX_PARTS}.", code=CatalogErrorCode.INVALID_SIZE)
    min_models = len(BRANDS) * len(TYPES)
    if models < min_models:
        raise CatalogError(
            f"models must be at least {min_models} (one per brand and appliance type).",
            code=CatalogErrorCode.INVALID_SIZE,
        )
    model_rows = _models(models)
    result = catalog_import(symptoms=_symptoms(), models=model_rows, batch_size=batch_size, progress=progress)
    for part_rows, compat_rows in _part_chunks(parts=parts, models=model_rows, seed=seed, chunk_size=chunk_size):
        chunk = catalog_import(parts=part_rows, compatibility=compat_rows, batch_size=batch_size, progress=progress)
        _add(result.parts, chunk.parts)
        _add(result.compatibility, chunk.compatibility)
        result.symptom_links_added += chunk.symptom_links_added
        result.symptom_links_removed += chunk.symptom_links_removed
        if on_chunk:
            on_chunk(len(part_rows))
    return result
