"""Bulk, idempotent upserts of the catalogue by natural key, validated row by row.

Natural keys: symptoms by `slug`, appliance models by `model_number`, products by
`ps_number`, compatibility by the (ps_number, model_number) pair, product↔symptom links by
the pair. Each batch reads the rows that already exist, writes only the rows that are new or
differ (`INSERT … ON CONFLICT … DO UPDATE`, the same SQL on SQLite and PostgreSQL: see
`_bulk_upsert`), and leaves identical rows alone, so importing the same data twice writes
nothing (not even `updated_at`).

A part row carries the fields it names: a field the row leaves out keeps the part's current
value (a new part gets the model's default), a field given empty is emptied. Models, symptoms
and compatibility rows are whole records. A part row's `symptoms` list, when present, becomes
exactly that part's symptom links. Compatibility rows are upserted, never deleted. A part row
may say `"in_stock": True` instead of a quantity (a Merchant Center feed says whether, not how
many): the current stock stays when it is above 0, else it becomes 1. Stock changes to
existing products are announced with `catalog.signals.stock_changed` after commit, like
`product_stock_set` (and so like an edit in the admin).

Every row is checked before anything is written: its values (`RowError`, with a stable code
from `CatalogErrorCode`), a key given twice (the first row wins), and what it refers to (a
compatibility row's part and model, a part's symptoms: in the same import or already in the
catalogue). `strict=True` (the demo seed, the generator) refuses the whole import on the first
bad row; `strict=False` (files: `catalog.services.import_files`) imports the good rows and
reports the others in `result.rejected`. `dry_run=True` does all of it and rolls back.
"""

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from catalog.enums import Difficulty
from catalog.error_codes import CatalogErrorCode
from catalog.exceptions import CatalogImportError
from catalog.images import product_image_url_validate
from catalog.models import ApplianceModel, Compatibility, Product, Symptom
from catalog.services.stock import stock_changed_send_on_commit
from core.stamps import stamps_forget

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
# The row key a reader sets to the row's number in its file (a CSV line, a feed item); without
# it a row is numbered by its place in its list, from 1.
ROW_NUMBER = "_row"
# A model row a reader made up for a compatibility row (a part's `compatible_models` cell):
# written only when a compatibility row that names it is.
FOR_COMPATIBILITY = "_for_compatibility"
IN_STOCK = "in_stock"


@dataclass(frozen=True)
class RowError:
    """Why one row was not imported: where (`section`, `row`), which `field`, a stable `code`."""

    section: str  # "parts", "models", "compatibility" or "symptoms"
    row: int
    field: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return {
            "section": self.section,
            "row": self.row,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


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
    rejected: list[RowError] = field(default_factory=list)
    # ps_numbers of the parts created or changed (for the search vectors to follow).
    changed_parts: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        counts = (self.symptoms, self.models, self.parts, self.compatibility)
        return any(c.created or c.updated for c in counts) or bool(
            self.symptom_links_added or self.symptom_links_removed
        )


_DIFFICULTIES = frozenset(Difficulty.values)


class _Invalid(Exception):
    def __init__(self, field: str, code: str, message: str):
        super().__init__(message)
        self.field, self.code, self.message = field, code, message


# --- writing ---------------------------------------------------------------------------------


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
    """Turn a row dict into a tuple of database values. JSON columns become their JSON text
    (what Django stores on SQLite; PostgreSQL's COPY parses it into jsonb); strings, numbers,
    decimals and booleans are adapted by the driver (Django registers the Decimal adapter for
    SQLite). Datetime values must come already in their database form (one per batch: see
    `_upsert`)."""
    fields = [model._meta.get_field(c) for c in columns]
    special = [i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
    dumps = json.dumps

    def prep(row: dict) -> tuple:
        values = [row[c] for c in columns]
        for i in special:
            values[i] = dumps(values[i])
        return tuple(values)

    return prep


def _batched(items: list, size: int) -> Iterable[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# --- reading one row -------------------------------------------------------------------------


@cache
def _max_length(model: type[Model], name: str) -> int | None:
    return model._meta.get_field(name).max_length


def _text(row: dict, key: str, *, required: bool = False, default: str = "", limit: int | None = None) -> str:
    value = row.get(key)
    if value.__class__ is str:  # the common case, checked in one pass
        text = value.strip()
        if text and "\x00" not in text and (limit is None or len(text) <= limit):
            return text
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _Invalid(key, CatalogErrorCode.IMPORT_REQUIRED, f"{key} is required.")
        return default
    if isinstance(value, dict | list):
        raise _Invalid(key, CatalogErrorCode.IMPORT_INVALID_VALUE, f"{key} must be text.")
    text = str(value).strip()
    if "\x00" in text:
        raise _Invalid(key, CatalogErrorCode.IMPORT_INVALID_VALUE, f"{key} contains a NUL character.")
    if limit is not None and len(text) > limit:
        raise _Invalid(key, CatalogErrorCode.IMPORT_TOO_LONG, f"{key} is longer than {limit} characters.")
    return text


def _decimal(row: dict, key: str, *, places: str, low: Decimal, high: Decimal) -> Decimal | None:
    raw = row.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        if isinstance(raw, bool):
            raise InvalidOperation
        value = Decimal(str(raw).strip()).quantize(Decimal(places))
    except (InvalidOperation, ValueError):
        raise _Invalid(key, CatalogErrorCode.IMPORT_INVALID_VALUE, f"{key} must be a number, not {raw!r}.") from None
    if not value.is_finite() or not low <= value <= high:
        raise _Invalid(key, CatalogErrorCode.IMPORT_OUT_OF_RANGE, f"{key} must be between {low} and {high}.")
    return value


def _whole(row: dict, key: str, *, low: int = 0, high: int = 2_147_483_647) -> int | None:
    raw = row.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError
        value = int(raw) if not isinstance(raw, str) else int(raw.strip())
    except (ValueError, TypeError):
        raise _Invalid(
            key, CatalogErrorCode.IMPORT_INVALID_VALUE, f"{key} must be a whole number, not {raw!r}."
        ) from None
    if not low <= value <= high:
        raise _Invalid(key, CatalogErrorCode.IMPORT_OUT_OF_RANGE, f"{key} must be between {low} and {high}.")
    return value


_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}


def _flag(row: dict, key: str, default: bool) -> bool:
    raw = row.get(key)
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False if text else default
    raise _Invalid(key, CatalogErrorCode.IMPORT_INVALID_VALUE, f"{key} must be true or false, not {raw!r}.")


def _texts(row: dict, key: str) -> list[str]:
    raw = row.get(key)
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list) or any(isinstance(v, dict | list) for v in raw):
        raise _Invalid(key, CatalogErrorCode.IMPORT_INVALID_VALUE, f"{key} must be a list of texts.")
    return [str(v).strip() for v in raw if v is not None and str(v).strip()]


_SLUG = re.compile(r"^[-a-z0-9_]+$")


def _symptom_values(row: dict) -> dict:
    slug = _text(row, "slug", required=True, limit=_max_length(Symptom, "slug")).lower()
    if not _SLUG.match(slug):
        raise _Invalid("slug", CatalogErrorCode.IMPORT_INVALID_VALUE, "slug may hold only letters, digits, - and _.")
    return {
        "slug": slug,
        "name": _text(row, "name", required=True, limit=_max_length(Symptom, "name")),
        "appliance_type": _text(row, "appliance_type", required=True, limit=40).lower(),
        "keywords": _texts(row, "keywords"),
    }


def _model_values(row: dict) -> dict:
    return {
        FOR_COMPATIBILITY: bool(row.get(FOR_COMPATIBILITY)),
        "model_number": _text(
            row, "model_number", required=True, limit=_max_length(ApplianceModel, "model_number")
        ).upper(),
        "brand": _text(row, "brand", required=True, limit=_max_length(ApplianceModel, "brand")),
        "appliance_type": _text(row, "appliance_type", required=True, limit=40).lower(),
        "name": _text(row, "name", limit=_max_length(ApplianceModel, "name")),
    }


def _product_values(row: dict) -> dict:
    """The fields the row names, checked and in their stored form (see the module docstring)."""
    values = {
        "ps_number": _text(row, "ps_number", required=True, limit=_max_length(Product, "ps_number")).upper(),
        "name": _text(row, "name", required=True, limit=_max_length(Product, "name")),
        "brand": _text(row, "brand", required=True, limit=_max_length(Product, "brand")),
        "appliance_type": _text(row, "appliance_type", required=True, limit=40).lower(),
    }
    price = _decimal(row, "price", places="0.01", low=Decimal("0"), high=Decimal("99999999.99"))
    if price is None:
        raise _Invalid("price", CatalogErrorCode.IMPORT_REQUIRED, "price is required.")
    values["price"] = price
    if "manufacturer_part_number" in row or "mpn" in row:
        key = "manufacturer_part_number" if "manufacturer_part_number" in row else "mpn"
        values["manufacturer_part_number"] = _text(row, key, limit=_max_length(Product, "manufacturer_part_number"))
    for key in ("description", "category", "image_url", "install_difficulty"):
        if key in row:
            limit = None if key == "description" else _max_length(Product, key)
            values[key] = _text(row, key, limit=limit)
    if "currency" in row:
        currency = _text(row, "currency", default="USD").upper()
        if len(currency) != 3 or not currency.isalpha():
            raise _Invalid("currency", CatalogErrorCode.IMPORT_INVALID_VALUE, "currency must be a 3-letter code.")
        values["currency"] = currency
    if values.get("image_url"):
        try:
            product_image_url_validate(values["image_url"])
        except ValidationError as exc:
            raise _Invalid("image_url", CatalogErrorCode.INVALID_IMAGE_URL, exc.messages[0]) from None
    if values.get("install_difficulty") and values["install_difficulty"] not in _DIFFICULTIES:
        raise _Invalid(
            "install_difficulty",
            CatalogErrorCode.IMPORT_INVALID_CHOICE,
            f"install_difficulty must be one of {', '.join(Difficulty.values)}.",
        )
    if "stock_quantity" in row:
        values["stock_quantity"] = _whole(row, "stock_quantity") or 0
    elif row.get(IN_STOCK):
        values[IN_STOCK] = True
    if "rating" in row:
        values["rating"] = _decimal(row, "rating", places="0.1", low=Decimal("0"), high=Decimal("5"))
    if "review_count" in row:
        values["review_count"] = _whole(row, "review_count") or 0
    if "install_time_minutes" in row:
        values["install_time_minutes"] = _whole(row, "install_time_minutes")
    for key, default in (("backordered", False), ("is_active", True)):
        if key in row:
            values[key] = _flag(row, key, default)
    for key in ("install_steps", "install_tools"):
        if key in row:
            values[key] = _texts(row, key)
    if "symptoms" in row:
        values["symptoms"] = sorted({s.lower() for s in _texts(row, "symptoms")})
    return values


def _compatibility_values(row: dict) -> dict:
    raw = row.get("confidence")
    try:
        confidence = 1.0 if raw is None or raw == "" else float(raw.strip() if isinstance(raw, str) else raw)
        if isinstance(raw, bool):
            raise ValueError
    except (ValueError, TypeError):
        raise _Invalid(
            "confidence", CatalogErrorCode.IMPORT_INVALID_VALUE, f"confidence must be a number, not {raw!r}."
        ) from None
    if not 0.0 <= confidence <= 1.0:  # NaN fails too
        raise _Invalid("confidence", CatalogErrorCode.IMPORT_OUT_OF_RANGE, "confidence must be between 0 and 1.")
    values = {
        "ps_number": _text(row, "ps_number", required=True, limit=_max_length(Product, "ps_number")).upper(),
        "model_number": _text(
            row, "model_number", required=True, limit=_max_length(ApplianceModel, "model_number")
        ).upper(),
        "confidence": confidence,
        "source": _text(row, "source", default="manufacturer", limit=_max_length(Compatibility, "source")),
    }
    values["pair"] = (values["ps_number"], values["model_number"])
    return values


class _Rows:
    """Checks a section's rows, keeps the valid ones by key and records the others."""

    def __init__(self, section: str, strict: bool, rejected: list[RowError]):
        self.section, self.strict, self.rejected = section, strict, rejected
        self.by_key: dict = {}
        self.numbers: dict = {}

    def reject(self, number: int, field_name: str, code: str, message: str) -> None:
        error = RowError(self.section, number, field_name, code, message)
        if self.strict:
            raise CatalogImportError(
                f"{self.section} row {number}: {field_name}: {message}"[:500],
                fields={self.section: [error.as_dict()]},
            )
        self.rejected.append(error)

    def read(self, rows: Iterable[dict], to_values: Callable[[dict], dict], key: str) -> "_Rows":
        for index, row in enumerate(rows, start=1):
            number = index
            if not isinstance(row, dict):
                self.reject(number, "", CatalogErrorCode.IMPORT_INVALID_VALUE, "A row must be an object.")
                continue
            number = row.get(ROW_NUMBER) or index
            try:
                values = to_values(row)
            except _Invalid as exc:
                self.reject(number, exc.field, exc.code, exc.message)
                continue
            if values[key] in self.by_key:
                shown = values[key] if isinstance(values[key], str) else " / ".join(values[key])
                self.reject(
                    number,
                    key if isinstance(values[key], str) else "model_number",
                    CatalogErrorCode.IMPORT_DUPLICATE_ROW,
                    f"{shown} is already on row {self.numbers[values[key]]}; the first one is kept.",
                )
                continue
            self.by_key[values[key]] = values
            self.numbers[values[key]] = number
        return self

    def drop(self, key, field_name: str, message: str) -> None:
        self.reject(self.numbers[key], field_name, CatalogErrorCode.IMPORT_UNKNOWN_REFERENCE, message)
        del self.by_key[key]

    @property
    def rows(self) -> list[dict]:
        return list(self.by_key.values())


def _existing(model: type[Model], key: str, values: set[str], batch_size: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for batch in _batched(sorted(values), max(batch_size, 2000)):
        found.update(model.objects.filter(**{f"{key}__in": batch}).values_list(key, "id"))
    return found


def _check_references(symptoms: _Rows, models: _Rows, parts: _Rows, compat: _Rows, batch_size: int) -> None:
    """A part's symptoms and a compatibility row's part and model must be in this import or in
    the catalogue; a row that names something that is in neither is rejected."""
    wanted_slugs = {slug for row in parts.by_key.values() for slug in row.get("symptoms", ())} - symptoms.by_key.keys()
    known_slugs = set(_existing(Symptom, "slug", wanted_slugs, batch_size)) if wanted_slugs else set()
    for ps_number, row in list(parts.by_key.items()):
        unknown = [slug for slug in row.get("symptoms", ()) if slug not in symptoms.by_key and slug not in known_slugs]
        if unknown:
            parts.drop(ps_number, "symptoms", f"Unknown symptom: {', '.join(unknown[:5])}.")
    wanted_parts = {pair[0] for pair in compat.by_key} - parts.by_key.keys()
    known_parts = set(_existing(Product, "ps_number", wanted_parts, batch_size)) if wanted_parts else set()
    wanted_models = {pair[1] for pair in compat.by_key} - models.by_key.keys()
    known_models = set(_existing(ApplianceModel, "model_number", wanted_models, batch_size)) if wanted_models else set()
    for pair in list(compat.by_key):
        if pair[0] not in parts.by_key and pair[0] not in known_parts:
            compat.drop(pair, "ps_number", f"Unknown part {pair[0]}: not in this import nor in the catalogue.")
        elif pair[1] not in models.by_key and pair[1] not in known_models:
            compat.drop(
                pair, "model_number", f"Unknown appliance model {pair[1]}: not in this import nor in the catalogue."
            )
    named = {pair[1] for pair in compat.by_key}
    for number, row in list(models.by_key.items()):
        if row.pop(FOR_COMPATIBILITY) and number not in named:
            del models.by_key[number]


# --- upserting --------------------------------------------------------------------------------


def _defaults(model: type[Model], names: list[str]) -> dict:
    return {name: model._meta.get_field(name).get_default() for name in names}


def _upsert(
    *,
    model: type[Model],
    rows: list[dict],
    key: str,
    fields: list[str],
    batch_size: int,
    progress: Progress | None,
    stage: str,
    on_update: Callable[[dict, dict], None] | None = None,
    changed: list[str] | None = None,
) -> UpsertCounts:
    """Write the rows that are new or differ from what is stored. `on_update(current, row)` is
    called for each changed row, `current` being the stored values (with `id`)."""
    counts = UpsertCounts()
    columns = [key, *fields, "created_at", "updated_at"]
    prep = _prepper(model, columns)
    defaults = _defaults(model, fields)
    stamp = model._meta.get_field("updated_at")
    names = ["id", *fields]
    for batch in _batched(rows, batch_size):
        keys = [row[key] for row in batch]
        # Plain values, not model instances: building 100,000 instances cost more than the writes.
        stored = model.objects.filter(**{f"{key}__in": keys}).values_list(key, *names)
        existing = {values[0]: dict(zip(names, values[1:], strict=True)) for values in stored}
        now = stamp.get_db_prep_save(timezone.now(), connection)
        to_write = []
        for row in batch:
            current = existing.get(row[key])
            # A field the row leaves out keeps its current value (a new row: the default).
            source = current or defaults
            full = {name: row[name] if name in row else source[name] for name in fields}
            if row.get(IN_STOCK):
                full["stock_quantity"] = max(source.get("stock_quantity", 0), 1)
            if current is None:
                counts.created += 1
            elif any(current[name] != full[name] for name in fields):
                counts.updated += 1
                if on_update:
                    on_update(current, full)
            else:
                counts.unchanged += 1
                continue
            if changed is not None:
                changed.append(row[key])
            to_write.append(prep({key: row[key], **full, "created_at": now, "updated_at": now}))
        _bulk_upsert(model, columns, to_write, conflict=[key], update=[*fields, "updated_at"])
        if progress:
            progress(stage, len(batch))
    return counts


def _symptom_links_sync(*, links: dict[str, list[str]], batch_size: int, result: CatalogImportResult) -> None:
    if not links:
        return
    slugs = {slug for wanted in links.values() for slug in wanted}
    symptom_ids = _existing(Symptom, "slug", slugs, batch_size)
    product_ids = _existing(Product, "ps_number", set(links), batch_size)
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
    product_ids = _existing(Product, "ps_number", {r["ps_number"] for r in rows}, batch_size)
    model_ids = _existing(ApplianceModel, "model_number", {r["model_number"] for r in rows}, batch_size)
    rows = sorted(rows, key=lambda r: (r["ps_number"], r["model_number"]))
    columns = ["product", "appliance_model", *COMPATIBILITY_FIELDS, "created_at", "updated_at"]
    stamp = Compatibility._meta.get_field("created_at")
    for batch in _batched(rows, batch_size):
        pids = {product_ids[r["ps_number"]] for r in batch}
        existing = dict(
            ((product_id, model_id), (confidence, source))
            for product_id, model_id, confidence, source in Compatibility.objects.filter(
                product_id__in=pids
            ).values_list("product_id", "appliance_model_id", "confidence", "source")
        )
        now = stamp.get_db_prep_save(timezone.now(), connection)
        to_write = []
        for row in batch:
            pair = (product_ids[row["ps_number"]], model_ids[row["model_number"]])
            current = existing.get(pair)
            if current is None:
                counts.created += 1
            elif current != (row["confidence"], row["source"]):
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


@transaction.atomic
def catalog_import(
    *,
    parts: Iterable[dict] = (),
    models: Iterable[dict] = (),
    compatibility: Iterable[dict] = (),
    symptoms: Iterable[dict] = (),
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    strict: bool = True,
    dry_run: bool = False,
) -> CatalogImportResult:
    """Upsert symptoms, appliance models, parts (with their symptom links) and compatibility.

    Every row is checked before anything is written. `strict`: one bad row refuses the whole
    import with a `CatalogImportError` (nothing written); otherwise the bad rows are left out
    and listed in `result.rejected`. `dry_run`: everything is done, counted and rolled back
    (nothing is announced). `progress(stage, n)` is called after each batch.
    """
    result = CatalogImportResult(dry_run=dry_run)
    symptom_rows = _Rows("symptoms", strict, result.rejected).read(symptoms, _symptom_values, "slug")
    model_rows = _Rows("models", strict, result.rejected).read(models, _model_values, "model_number")
    part_rows = _Rows("parts", strict, result.rejected).read(parts, _product_values, "ps_number")
    compat_rows = _Rows("compatibility", strict, result.rejected).read(compatibility, _compatibility_values, "pair")
    _check_references(symptom_rows, model_rows, part_rows, compat_rows, batch_size)
    links = {ps: row.pop("symptoms") for ps, row in part_rows.by_key.items() if "symptoms" in row}
    for row in compat_rows.by_key.values():
        row.pop("pair")

    result.symptoms = _upsert(
        model=Symptom,
        rows=symptom_rows.rows,
        key="slug",
        fields=SYMPTOM_FIELDS,
        batch_size=batch_size,
        progress=progress,
        stage="symptoms",
    )
    result.models = _upsert(
        model=ApplianceModel,
        rows=model_rows.rows,
        key="model_number",
        fields=MODEL_FIELDS,
        batch_size=batch_size,
        progress=progress,
        stage="models",
    )

    def announce_stock(current: dict, row: dict) -> None:
        if current["stock_quantity"] != row["stock_quantity"]:
            stock_changed_send_on_commit(
                product_id=current["id"], old_quantity=current["stock_quantity"], new_quantity=row["stock_quantity"]
            )

    result.parts = _upsert(
        model=Product,
        rows=part_rows.rows,
        key="ps_number",
        fields=PRODUCT_FIELDS,
        batch_size=batch_size,
        progress=progress,
        stage="parts",
        on_update=announce_stock,
        changed=result.changed_parts,
    )
    _symptom_links_sync(links=links, batch_size=batch_size, result=result)
    result.compatibility = _compatibility_upsert(rows=compat_rows.rows, batch_size=batch_size, progress=progress)
    result.rejected.sort(key=lambda e: (e.row, e.section))
    if dry_run:
        transaction.set_rollback(True)
    # Bulk writes send no signals: this process's search index and symptom vectors look again.
    stamps_forget()
    transaction.on_commit(stamps_forget)
    return result
