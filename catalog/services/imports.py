"""Bulk, idempotent upserts of the catalogue by natural key.

Natural keys: symptoms by `slug`, appliance models by `model_number`, products by
`ps_number`, compatibility by the (ps_number, model_number) pair, product↔symptom links by
the pair. Each batch reads the rows that already exist, writes only the rows that are new or
differ (`INSERT … ON CONFLICT … DO UPDATE`, the same SQL on SQLite and PostgreSQL: see
`_bulk_upsert`), and leaves identical rows
alone, so importing the same data twice writes nothing (not even `updated_at`).

A row is the whole record: a field missing from a row is reset to the model's default.
A part row's `symptoms` list, when present, becomes exactly that part's symptom links.
Compatibility rows are upserted, never deleted. Stock changes to existing products are
announced with `catalog.signals.stock_changed` after commit, like `product_stock_set`.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import islice

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from catalog.enums import Difficulty
from catalog.exceptions import CatalogImportError
from catalog.models import ApplianceModel, Compatibility, Product, Symptom
from catalog.services.stock import stock_changed_send_on_commit

BATCH_SIZE = 500

Progress = Callable[[str, int], None]

SYMPTOM_FIELDS = ["name", "appliance_type", "keywords"]
MODEL_FIELDS = ["brand", "appliance_type", "name"]
PRODUCT_FIELDS = [
    "manufacturer_part_number",
    "name",
    "description",
    "brand",
    "appliance_type",
    "category",
    "price",
    "currency",
    "stock_quantity",
    "backordered",
    "is_active",
    "image_url",
    "rating",
    "review_count",
    "install_steps",
    "install_difficulty",
    "install_time_minutes",
    "install_tools",
]
COMPATIBILITY_FIELDS = ["confidence", "source"]


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def __str__(self) -> str:
        return f"{self.total} ({self.created} created, {self.updated} updated, {self.unchanged} unchanged)"


@dataclass
class CatalogImportResult:
    symptoms: UpsertCounts = field(default_factory=UpsertCounts)
    models: UpsertCounts = field(default_factory=UpsertCounts)
    parts: UpsertCounts = field(default_factory=UpsertCounts)
    compatibility: UpsertCounts = field(default_factory=UpsertCounts)
    symptom_links_added: int = 0
    symptom_links_removed: int = 0

    @property
    def changed(self) -> bool:
        counts = (self.symptoms, self.models, self.parts, self.compatibility)
        return any(c.created or c.updated for c in counts) or bool(
            self.symptom_links_added or self.symptom_links_removed
        )


def _bulk_upsert(
    model: type[Model], columns: list[str], rows: list[tuple], *, conflict: list[str], update: list[str] | None
) -> None:
    """`INSERT … ON CONFLICT (conflict) DO UPDATE SET col = EXCLUDED.col` (or `DO NOTHING`): the
    same statement on SQLite (>= 3.24) and PostgreSQL. On PostgreSQL the rows are COPY'd into a
    temporary scratch table first and inserted with one `INSERT … SELECT`; elsewhere they are
    sent with `executemany`.

    This is the statement `bulk_create(update_conflicts=True)` emits, without the ORM's
    per-value SQL compilation, which dominated a 100,000-part import. Values must already be
    in their database form (see `_prepper`).
    """
    if not rows:
        return
    # Identifiers come from the model's _meta and are quoted; every value is a parameter.
    qn = connection.ops.quote_name

    def col(name: str) -> str:
        return qn(model._meta.get_field(name).column)

    action = "DO NOTHING"
    if update:
        action = "DO UPDATE SET " + ", ".join(f"{col(c)} = EXCLUDED.{col(c)}" for c in update)
    table = qn(model._meta.db_table)
    column_sql = ", ".join(col(c) for c in columns)
    tail = f" ON CONFLICT ({', '.join(col(c) for c in conflict)}) {action}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY into a scratch table, then one INSERT … SELECT … ON CONFLICT: far fewer
            # round trips and no client-side SQL building per row.
            scratch = qn(f"_import_{model._meta.db_table}")
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {scratch} AS SELECT {column_sql} FROM {table} WITH NO DATA"  # noqa: S608
            )
            cursor.execute(f"TRUNCATE {scratch}")
            with cursor.cursor.copy(f"COPY {scratch} ({column_sql}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"INSERT INTO {table} ({column_sql}) SELECT {column_sql} FROM {scratch}{tail}")  # noqa: S608
            return
        # SQLite (and others): one prepared statement, stepped per row.
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders}){tail}", rows)  # noqa: S608


def _prepper(model: type[Model], columns: list[str]) -> Callable[[dict], tuple]:
    """Turn a row dict into a tuple of database values. JSON and datetime columns go through
    the field's own `get_db_prep_save`; strings, numbers, decimals and booleans are adapted
    by the driver (Django registers the Decimal adapter for SQLite)."""
    fields = [model._meta.get_field(c) for c in columns]
    special = [i for i, f in enumerate(fields) if f.get_internal_type() in {"JSONField", "DateTimeField"}]

    def prep(row: dict) -> tuple:
        values = [row[c] for c in columns]
        for i in special:
            values[i] = fields[i].get_db_prep_save(values[i], connection)
        return tuple(values)

    return prep


def _batched(items: list, size: int) -> Iterable[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _invalid(kind: str, index: int, row, exc: Exception) -> CatalogImportError:
    return CatalogImportError(f"{kind} row {index} is not valid: {exc!r} in {row!r}"[:500], fields={kind: [str(exc)]})


def _text(row: dict, key: str, *, required: bool = False, default: str = "") -> str:
    value = row.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"{key} is required")
        return default
    return str(value).strip()


def _symptom_values(row: dict) -> dict:
    keywords = row.get("keywords") or []
    if not isinstance(keywords, list):
        raise ValueError("keywords must be a list")
    return {
        "slug": _text(row, "slug", required=True).lower(),
        "name": _text(row, "name", required=True),
        "appliance_type": _text(row, "appliance_type", required=True).lower(),
        "keywords": [str(k).strip() for k in keywords if str(k).strip()],
    }


def _model_values(row: dict) -> dict:
    return {
        "model_number": _text(row, "model_number", required=True).upper(),
        "brand": _text(row, "brand", required=True),
        "appliance_type": _text(row, "appliance_type", required=True).lower(),
        "name": _text(row, "name"),
    }


def _product_values(row: dict) -> dict:
    price = Decimal(str(row["price"])).quantize(Decimal("0.01"))
    if price < 0:
        raise ValueError("price must be 0 or more")
    rating = row.get("rating")
    rating = None if rating in (None, "") else Decimal(str(rating)).quantize(Decimal("0.1"))
    if rating is not None and not Decimal("0") <= rating <= Decimal("5"):
        raise ValueError("rating must be between 0 and 5")
    stock = int(row.get("stock_quantity") or 0)
    if stock < 0:
        raise ValueError("stock_quantity must be 0 or more")
    difficulty = _text(row, "install_difficulty")
    if difficulty and difficulty not in Difficulty.values:
        raise ValueError(f"install_difficulty must be one of {Difficulty.values}")
    minutes = row.get("install_time_minutes")
    steps, tools = row.get("install_steps") or [], row.get("install_tools") or []
    if not isinstance(steps, list) or not isinstance(tools, list):
        raise ValueError("install_steps and install_tools must be lists")
    return {
        "ps_number": _text(row, "ps_number", required=True).upper(),
        "manufacturer_part_number": _text(row, "manufacturer_part_number") or _text(row, "mpn"),
        "name": _text(row, "name", required=True),
        "description": _text(row, "description"),
        "brand": _text(row, "brand", required=True),
        "appliance_type": _text(row, "appliance_type", required=True).lower(),
        "category": _text(row, "category"),
        "price": price,
        "currency": _text(row, "currency", default="USD").upper(),
        "stock_quantity": stock,
        "backordered": bool(row.get("backordered", False)),
        "is_active": bool(row.get("is_active", True)),
        "image_url": _text(row, "image_url"),
        "rating": rating,
        "review_count": int(row.get("review_count") or 0),
        "install_steps": [str(s) for s in steps],
        "install_difficulty": difficulty,
        "install_time_minutes": None if minutes in (None, "") else int(minutes),
        "install_tools": [str(t) for t in tools],
    }


def _normalise(kind: str, rows: Iterable[dict], to_values: Callable[[dict], dict], key: str) -> list[dict]:
    """Validate and coerce every row first (nothing is written if one is bad); the last duplicate wins."""
    out: dict = {}
    for index, row in enumerate(rows):
        try:
            values = to_values(row)
        except (KeyError, ValueError, TypeError, AttributeError, InvalidOperation) as exc:
            raise _invalid(kind, index, row, exc) from exc
        out[values[key]] = values
    return list(out.values())


def _upsert(
    *,
    model: type[Model],
    rows: list[dict],
    key: str,
    fields: list[str],
    batch_size: int,
    progress: Progress | None,
    stage: str,
    on_update: Callable[[Model, dict], None] | None = None,
) -> UpsertCounts:
    counts = UpsertCounts()
    columns = [key, *fields, "created_at", "updated_at"]
    prep = _prepper(model, columns)
    for batch in _batched(rows, batch_size):
        keys = [row[key] for row in batch]
        existing = {getattr(obj, key): obj for obj in model.objects.filter(**{f"{key}__in": keys})}
        now = timezone.now()
        to_write = []
        for row in batch:
            current = existing.get(row[key])
            if current is None:
                counts.created += 1
            elif any(getattr(current, name) != row[name] for name in fields):
                counts.updated += 1
                if on_update:
                    on_update(current, row)
            else:
                counts.unchanged += 1
                continue
            to_write.append(prep({**row, "created_at": now, "updated_at": now}))
        _bulk_upsert(model, columns, to_write, conflict=[key], update=[*fields, "updated_at"])
        if progress:
            progress(stage, len(batch))
    return counts


def _id_map(model: type[Model], key: str, values: set[str], batch_size: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for batch in _batched(sorted(values), batch_size):
        found.update(model.objects.filter(**{f"{key}__in": batch}).values_list(key, "id"))
    return found


def _require_all(kind: str, wanted: set[str], found: dict[str, int]) -> None:
    missing = sorted(wanted - found.keys())
    if missing:
        raise CatalogImportError(
            f"Unknown {kind} referenced: {', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}",
            fields={kind: missing[:50]},
        )


def _symptom_links_sync(*, links: dict[str, list[str]], batch_size: int, result: CatalogImportResult) -> None:
    if not links:
        return
    slugs = {slug for wanted in links.values() for slug in wanted}
    symptom_ids = _id_map(Symptom, "slug", slugs, batch_size)
    _require_all("symptom", slugs, symptom_ids)
    product_ids = _id_map(Product, "ps_number", set(links), batch_size)
    through = Product.symptoms.through
    for batch in _batched(sorted(links), batch_size):
        pids = [product_ids[ps] for ps in batch]
        current: set[tuple[int, int]] = set(
            through.objects.filter(product_id__in=pids).values_list("product_id", "symptom_id")
        )
        wanted = {(product_ids[ps], symptom_ids[slug]) for ps in batch for slug in links[ps]}
        to_add = wanted - current
        to_remove = current - wanted
        _bulk_upsert(through, ["product", "symptom"], sorted(to_add), conflict=["product", "symptom"], update=None)
        for product_id, symptom_id in to_remove:
            through.objects.filter(product_id=product_id, symptom_id=symptom_id).delete()
        result.symptom_links_added += len(to_add)
        result.symptom_links_removed += len(to_remove)


def _compatibility_upsert(*, rows: list[dict], batch_size: int, progress: Progress | None) -> UpsertCounts:
    counts = UpsertCounts()
    if not rows:
        return counts
    product_ids = _id_map(Product, "ps_number", {r["ps_number"] for r in rows}, batch_size)
    _require_all("part", {r["ps_number"] for r in rows}, product_ids)
    model_ids = _id_map(ApplianceModel, "model_number", {r["model_number"] for r in rows}, batch_size)
    _require_all("appliance model", {r["model_number"] for r in rows}, model_ids)
    rows = sorted(rows, key=lambda r: (r["ps_number"], r["model_number"]))
    columns = ["product", "appliance_model", *COMPATIBILITY_FIELDS, "created_at", "updated_at"]
    stamp = Compatibility._meta.get_field("created_at")
    for batch in _batched(rows, batch_size):
        pids = {product_ids[r["ps_number"]] for r in batch}
        existing = {(c.product_id, c.appliance_model_id): c for c in Compatibility.objects.filter(product_id__in=pids)}
        now = stamp.get_db_prep_save(timezone.now(), connection)
        to_write = []
        for row in batch:
            pair = (product_ids[row["ps_number"]], model_ids[row["model_number"]])
            current = existing.get(pair)
            if current is None:
                counts.created += 1
            elif current.confidence != row["confidence"] or current.source != row["source"]:
                counts.updated += 1
            else:
                counts.unchanged += 1
                continue
            to_write.append((pair[0], pair[1], row["confidence"], row["source"], now, now))
        _bulk_upsert(
            Compatibility,
            columns,
            to_write,
            conflict=["product", "appliance_model"],
            update=[*COMPATIBILITY_FIELDS, "updated_at"],
        )
        if progress:
            progress("compatibility", len(batch))
    return counts


def _compatibility_values(row: dict) -> dict:
    confidence = float(row.get("confidence", 1.0) if row.get("confidence") not in (None, "") else 1.0)
    if not 0.0 <= confidence <= 1.0:
        raise ValueError("confidence must be between 0 and 1")
    values = {
        "ps_number": _text(row, "ps_number", required=True).upper(),
        "model_number": _text(row, "model_number", required=True).upper(),
        "confidence": confidence,
        "source": _text(row, "source", default="manufacturer"),
    }
    values["pair"] = (values["ps_number"], values["model_number"])
    return values


@transaction.atomic
def catalog_import(
    *,
    parts: Iterable[dict] = (),
    models: Iterable[dict] = (),
    compatibility: Iterable[dict] = (),
    symptoms: Iterable[dict] = (),
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> CatalogImportResult:
    """Upsert symptoms, appliance models, parts (with their symptom links) and compatibility.

    Every row is validated before anything is written; one bad row refuses the whole import
    with a `CatalogImportError`. `progress(stage, n)` is called after each batch.
    """
    symptom_rows = _normalise("symptom", symptoms, _symptom_values, "slug")
    model_rows = _normalise("appliance model", models, _model_values, "model_number")
    part_list = list(parts)
    part_rows = _normalise("part", part_list, _product_values, "ps_number")
    compat_rows = _normalise("compatibility", compatibility, _compatibility_values, "pair")
    for row in compat_rows:
        row.pop("pair")
    links: dict[str, list[str]] = {}
    for row in part_list:
        if isinstance(row, dict) and "symptoms" in row:
            slugs = row.get("symptoms") or []
            links[str(row["ps_number"]).strip().upper()] = sorted({str(s).strip().lower() for s in slugs})

    result = CatalogImportResult()
    result.symptoms = _upsert(
        model=Symptom,
        rows=symptom_rows,
        key="slug",
        fields=SYMPTOM_FIELDS,
        batch_size=batch_size,
        progress=progress,
        stage="symptoms",
    )
    result.models = _upsert(
        model=ApplianceModel,
        rows=model_rows,
        key="model_number",
        fields=MODEL_FIELDS,
        batch_size=batch_size,
        progress=progress,
        stage="models",
    )

    def announce_stock(current: Product, row: dict) -> None:
        if current.stock_quantity != row["stock_quantity"]:
            stock_changed_send_on_commit(
                product_id=current.pk, old_quantity=current.stock_quantity, new_quantity=row["stock_quantity"]
            )

    result.parts = _upsert(
        model=Product,
        rows=part_rows,
        key="ps_number",
        fields=PRODUCT_FIELDS,
        batch_size=batch_size,
        progress=progress,
        stage="parts",
        on_update=announce_stock,
    )
    _symptom_links_sync(links=links, batch_size=batch_size, result=result)
    result.compatibility = _compatibility_upsert(rows=compat_rows, batch_size=batch_size, progress=progress)
    return result
