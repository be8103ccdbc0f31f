"""A shop's own catalogue file (CSV, JSON, or a Google Merchant Center feed) into the catalogue.

`catalog_file_import(data=…, file_format=…)` is what `manage.py import_catalog` and the admin's
import page call (and what a benchmark can call): it reads the file into the rows
`catalog_import` takes, imports the good rows, and returns the result with every rejected row
(row number, column, stable code, message). A problem with the whole file (not readable, not
the format, a required column missing, an unknown column) is a `CatalogImportError` and
nothing is written. After commit the search vectors of the parts created or changed are
refreshed (`catalog.tasks.product_embeddings_refresh_task`, on the bulk queue).

The columns are documented in the README ("Loading a catalogue"). In short:

- CSV, one row per part: `part_number, name, brand, appliance_type, price` (required) and
  `manufacturer_number, description, category, currency, stock, backordered, active, image_url,
  rating, review_count, install_steps, install_difficulty, install_time_minutes, install_tools,
  symptoms, compatible_models`. List cells are `|`-separated. A column left out of the file
  leaves that field of existing parts as it is.
- JSON: a list of part objects with the same keys (lists as arrays), or an object with
  `parts`, `models`, `compatibility` and `symptoms` sections.
- GMC: the tab-separated feed or the XML feed (RSS 2.0 or Atom with the `g:` namespace).
"""

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from catalog.error_codes import CatalogErrorCode
from catalog.exceptions import CatalogImportError
from catalog.models import ApplianceModel, Product, Symptom
from catalog.services.imports import (
    FOR_COMPATIBILITY,
    IN_STOCK,
    ROW_NUMBER,
    CatalogImportResult,
    Progress,
    RowError,
    catalog_import,
)
from catalog.vocabulary import APPLIANCE_MENTIONS
from core.jsonsafe import InputRefused, json_check

FORMATS = ("csv", "json", "gmc")
# Rows read, compared and written per statement: larger than `catalog_import`'s default, as a
# file is usually large (fewer round trips; 100,000 parts are 50 batches).
FILE_BATCH_SIZE = 2000
LIST_SEPARATOR = "|"
# An object with sections of rows of lists: deeper than this is not a catalogue.
CATALOG_JSON_MAX_DEPTH = 8

# File column → the row key `catalog_import` reads. Parts.
PART_COLUMNS = {
    "part_number": "ps_number",
    "manufacturer_number": "manufacturer_part_number",
    "name": "name",
    "description": "description",
    "brand": "brand",
    "appliance_type": "appliance_type",
    "category": "category",
    "price": "price",
    "currency": "currency",
    "stock": "stock_quantity",
    "backordered": "backordered",
    "active": "is_active",
    "image_url": "image_url",
    "rating": "rating",
    "review_count": "review_count",
    "install_steps": "install_steps",
    "install_difficulty": "install_difficulty",
    "install_time_minutes": "install_time_minutes",
    "install_tools": "install_tools",
    "symptoms": "symptoms",
    "compatible_models": "compatible_models",
}
REQUIRED_PART_COLUMNS = ("part_number", "name", "brand", "appliance_type", "price")
LIST_COLUMNS = {"install_steps", "install_tools", "symptoms", "compatible_models"}
# The catalogue's own field names are read too (the demo's parts.json imports as it is).
COLUMN_ALIASES = {
    "ps_number": "part_number",
    "manufacturer_part_number": "manufacturer_number",
    "mpn": "manufacturer_number",
    "stock_quantity": "stock",
    "is_active": "active",
}
SECTION_COLUMNS = {
    "models": {"model_number": "model_number", "brand": "brand", "appliance_type": "appliance_type", "name": "name"},
    "compatibility": {
        "part_number": "ps_number",
        "model_number": "model_number",
        "confidence": "confidence",
        "source": "source",
    },
    "symptoms": {"slug": "slug", "name": "name", "appliance_type": "appliance_type", "keywords": "keywords"},
}
SECTION_ALIASES = {"compatibility": {"ps_number": "part_number"}}

# Google Merchant Center attributes read (the others, such as link, gtin, condition or
# shipping, are accepted and ignored: the catalogue has no field for them).
GMC_REQUIRED = ("id", "title", "price", "brand")
GMC_AVAILABILITY = {
    "in_stock": (None, False),
    "in stock": (None, False),
    "out_of_stock": (0, False),
    "out of stock": (0, False),
    "backorder": (0, True),
    "preorder": (0, True),
}
_PRICE = re.compile(r"^\s*(?:([A-Za-z]{3})\s+)?([0-9]+(?:\.[0-9]+)?)\s*(?:([A-Za-z]{3}))?\s*$")


@dataclass
class CatalogFile:
    """What a file holds, as `catalog_import`'s keyword arguments, and the rows already refused
    while reading it."""

    sections: dict[str, list[dict]] = field(
        default_factory=lambda: {"parts": [], "models": [], "compatibility": [], "symptoms": []}
    )
    rejected: list[RowError] = field(default_factory=list)
    # (section, row key) → the file's name for it, for the report.
    columns: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(len(rows) for rows in self.sections.values())


def _file_error(code: CatalogErrorCode, detail: str) -> CatalogImportError:
    return CatalogImportError(detail, code=code)


def catalog_file_format_guess(name: str) -> str | None:
    """csv, json or gmc from a file name's extension (.csv, .json; .tsv, .txt and .xml are
    Merchant Center feeds); None when the extension says nothing."""
    lowered = name.lower()
    for suffix, file_format in ((".csv", "csv"), (".json", "json"), (".tsv", "gmc"), (".txt", "gmc"), (".xml", "gmc")):
        if lowered.endswith(suffix):
            return file_format
    return None


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error(
            CatalogErrorCode.IMPORT_UNREADABLE_FILE,
            f"The file is not UTF-8 text (byte {exc.start} is not valid): save it as UTF-8 and try again.",
        ) from None
    if "\x00" in text:
        raise _file_error(CatalogErrorCode.IMPORT_UNREADABLE_FILE, "The file is binary, not a text file.")
    if not text.strip():
        raise _file_error(CatalogErrorCode.IMPORT_EMPTY_FILE, "The file is empty.")
    return text


def _header(names: list[str]) -> list[str]:
    return [re.sub(r"[\s-]+", "_", (name or "").strip().lower()) for name in names]


def _split(value) -> list[str]:
    if value is None:
        return []
    return [item.strip() for item in str(value).split(LIST_SEPARATOR) if item.strip()]


def _records(text: str, delimiter: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except (csv.Error, StopIteration) as exc:
        raise _file_error(CatalogErrorCode.IMPORT_UNREADABLE_FILE, f"The header row cannot be read: {exc}") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 1
        try:
            for record in reader:
                number += 1
                if any(cell.strip() for cell in record):
                    yield number, record
        except csv.Error as exc:
            raise _file_error(
                CatalogErrorCode.IMPORT_UNREADABLE_FILE, f"Row {number + 1} cannot be read: {exc}"
            ) from None

    return _header(header), rows()


# --- CSV and JSON ------------------------------------------------------------------------------


def _columns_check(names: list[str], known: dict[str, str], aliases: dict[str, str], required, where: str) -> None:
    seen = [aliases.get(name, name) for name in names]
    unknown = [name for name in names if aliases.get(name, name) not in known]
    if unknown:
        raise _file_error(
            CatalogErrorCode.IMPORT_UNKNOWN_COLUMNS,
            f"Unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} in {where}; "
            f"the columns are {', '.join(known)}.",
        )
    doubled = sorted({name for name in seen if seen.count(name) > 1})
    if doubled:
        raise _file_error(CatalogErrorCode.IMPORT_UNKNOWN_COLUMNS, f"Column {', '.join(doubled)} is given twice.")
    missing = [name for name in required if name not in seen]
    if missing:
        raise _file_error(
            CatalogErrorCode.IMPORT_MISSING_COLUMNS,
            f"Missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} in {where}.",
        )


def _part_row(values: dict, number: int) -> dict:
    """A file's part (column → value, aliases resolved) as a `catalog_import` row."""
    row = {PART_COLUMNS[column]: value for column, value in values.items()}
    row[ROW_NUMBER] = number
    return row


def _read_csv(text: str, found: CatalogFile) -> None:
    header, records = _records(text, ",")
    _columns_check(header, PART_COLUMNS, COLUMN_ALIASES, REQUIRED_PART_COLUMNS, "the header")
    columns = [COLUMN_ALIASES.get(name, name) for name in header]
    for number, record in records:
        if len(record) != len(columns):
            found.rejected.append(
                RowError(
                    "parts",
                    number,
                    "",
                    CatalogErrorCode.IMPORT_INVALID_VALUE,
                    f"The row has {len(record)} cells; the header has {len(columns)}.",
                )
            )
            continue
        values = {
            column: _split(cell) if column in LIST_COLUMNS else cell
            for column, cell in zip(columns, record, strict=True)
        }
        found.sections["parts"].append(_part_row(values, number))


def _json_rows(found: CatalogFile, section: str, rows, known: dict[str, str], aliases: dict[str, str]) -> None:
    if not isinstance(rows, list):
        raise _file_error(CatalogErrorCode.IMPORT_UNREADABLE_FILE, f'"{section}" must be a list of objects.')
    for number, item in enumerate(rows, start=1):
        if not isinstance(item, dict):
            found.rejected.append(
                RowError(section, number, "", CatalogErrorCode.IMPORT_INVALID_VALUE, "A row must be an object.")
            )
            continue
        keys = {aliases.get(str(key), str(key)): value for key, value in item.items()}
        unknown = [key for key in keys if key not in known]
        if unknown:
            found.rejected.append(
                RowError(
                    section,
                    number,
                    unknown[0],
                    CatalogErrorCode.IMPORT_UNKNOWN_COLUMNS,
                    f"Unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}.",
                )
            )
            continue
        if section == "parts":
            for key in LIST_COLUMNS & keys.keys():
                if isinstance(keys[key], str):
                    keys[key] = _split(keys[key])
            found.sections["parts"].append(_part_row(keys, number))
        else:
            found.sections[section].append({known[key]: value for key, value in keys.items()} | {ROW_NUMBER: number})


def _read_json(text: str, found: CatalogFile) -> None:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _file_error(CatalogErrorCode.IMPORT_UNREADABLE_FILE, f"The file is not valid JSON: {exc}") from None
    try:  # "\u0000" and lone "\ud800" escapes decode to text PostgreSQL cannot store
        json_check(data, max_depth=CATALOG_JSON_MAX_DEPTH)
    except InputRefused as exc:
        raise _file_error(
            CatalogErrorCode.IMPORT_UNREADABLE_FILE, f"The file cannot be imported: {exc.detail}"
        ) from None
    if isinstance(data, list):
        data = {"parts": data}
    if not isinstance(data, dict):
        raise _file_error(CatalogErrorCode.IMPORT_UNREADABLE_FILE, "The JSON must be a list of parts or an object.")
    unknown = sorted(set(data) - {"parts", *SECTION_COLUMNS})
    if unknown:
        raise _file_error(
            CatalogErrorCode.IMPORT_UNKNOWN_COLUMNS,
            f"Unknown section {', '.join(unknown)}; the sections are parts, models, compatibility and symptoms.",
        )
    _json_rows(found, "parts", data.get("parts", []), PART_COLUMNS, COLUMN_ALIASES)
    for section, known in SECTION_COLUMNS.items():
        _json_rows(found, section, data.get(section, []), known, SECTION_ALIASES.get(section, {}))


# --- Google Merchant Center ---------------------------------------------------------------------


def _appliance(*texts: str) -> str:
    """The appliance type a product_type path, category or title names ("" when none does)."""
    scope = {name.lower(): name.lower() for name in getattr(settings, "PARLEY_SHOP_SCOPE", [])}
    words = {**scope, **APPLIANCE_MENTIONS}
    for text in texts:
        for word in re.findall(r"[a-z]+", (text or "").lower()):
            if word in words:
                return words[word]
    return ""


def _gmc_row(item: dict[str, str], number: int) -> tuple[dict | None, RowError | None]:
    row: dict = {ROW_NUMBER: number, "ps_number": item.get("id", ""), "name": item.get("title", "")}
    row["brand"] = item.get("brand", "")
    if "description" not in item and "summary" in item:  # Atom
        item = {**item, "description": item["summary"]}
    for source, target in (("description", "description"), ("image_link", "image_url"), ("mpn", "mpn")):
        if source in item:
            row[target] = item[source]
    price = (item.get("price") or "").strip()
    if price:
        match = _PRICE.match(price)
        if not match or (match.group(1) and match.group(3)):
            return None, RowError(
                "parts",
                number,
                "price",
                CatalogErrorCode.IMPORT_INVALID_VALUE,
                f'price must read "12.34 USD", not {price!r}.',
            )
        row["price"] = match.group(2)
        if match.group(1) or match.group(3):
            row["currency"] = match.group(1) or match.group(3)
    path = [segment.strip() for segment in (item.get("product_type") or "").split(">") if segment.strip()]
    row["appliance_type"] = item.get("appliance_type") or _appliance(
        *path, item.get("google_product_category", ""), item.get("title", "")
    )
    if not row["appliance_type"]:
        return None, RowError(
            "parts",
            number,
            "product_type",
            CatalogErrorCode.IMPORT_REQUIRED,
            "No appliance type: name it in product_type (e.g. Appliances > Refrigerator > Ice Makers) "
            "or an appliance_type attribute.",
        )
    if path:  # "Appliances > Refrigerator Parts > Ice Makers": the last segment is the category
        row["category"] = path[-1] if len(path) > 1 or not _appliance(path[-1]) else ""
    availability = (item.get("availability") or "").strip().lower()
    if availability:
        if availability not in GMC_AVAILABILITY:
            return None, RowError(
                "parts",
                number,
                "availability",
                CatalogErrorCode.IMPORT_INVALID_CHOICE,
                "availability must be in_stock, out_of_stock, preorder or backorder.",
            )
        quantity, backordered = GMC_AVAILABILITY[availability]
        row["backordered"] = backordered
        if quantity is None:
            row[IN_STOCK] = True
        else:
            row["stock_quantity"] = quantity
    if (item.get("quantity") or "").strip():
        row["stock_quantity"] = item["quantity"]
        row.pop(IN_STOCK, None)
    return row, None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _gmc_items(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        root = ElementTree.fromstring(text)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise _file_error(CatalogErrorCode.IMPORT_UNREADABLE_FILE, f"The feed is not readable XML: {exc}") from None
    items = [element for element in root.iter() if _local(element.tag) in ("item", "entry")]
    if not items:
        raise _file_error(
            CatalogErrorCode.IMPORT_EMPTY_FILE, "The feed has no <item> (RSS) or <entry> (Atom) elements."
        )
    for number, element in enumerate(items, start=1):
        values: dict[str, str] = {}
        for child in element:
            name = _local(child.tag)
            value = (child.text or "").strip() or child.get("href", "")
            values.setdefault(name, value)
        yield number, values


def _read_gmc(text: str, found: CatalogFile) -> None:
    if text.lstrip().startswith("<"):
        items = _gmc_items(text)
    else:
        header, records = _records(text, "\t")
        header = [name.removeprefix("g:") for name in header]
        missing = [name for name in GMC_REQUIRED if name not in header]
        if missing:
            raise _file_error(
                CatalogErrorCode.IMPORT_MISSING_COLUMNS,
                f"Missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}: a Merchant Center feed "
                f"needs {', '.join(GMC_REQUIRED)} (tab-separated, with a header row).",
            )
        items = ((number, dict(zip(header, record, strict=False))) for number, record in records)
    for number, item in items:
        row, error = _gmc_row(item, number)
        if error:
            found.rejected.append(error)
        else:
            found.sections["parts"].append(row)
    found.columns.update(
        {
            ("parts", "ps_number"): "id",
            ("parts", "name"): "title",
            ("parts", "image_url"): "image_link",
            ("parts", "manufacturer_part_number"): "mpn",
            ("parts", "stock_quantity"): "availability",
            ("parts", "backordered"): "availability",
            ("parts", "currency"): "price",
        }
    )


# --- what parts name: symptoms and compatible models ------------------------------------------------


def _existing_keys(model, key: str, values: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(values)
    for start in range(0, len(ordered), 2000):
        found.update(model.objects.filter(**{f"{key}__in": ordered[start : start + 2000]}).values_list(key, flat=True))
    return found


def _expand(found: CatalogFile) -> None:
    """A part's `symptoms` may be slugs or names (a new name becomes a symptom of the part's
    appliance type); its `compatible_models` become compatibility rows, and a model number
    neither in the file nor in the catalogue becomes a model of the part's brand and appliance."""
    parts, sections = found.sections["parts"], found.sections
    named = {str(s).strip().lower() for p in parts for s in p.get("symptoms") or () if isinstance(s, str)}
    slugs = {str(s.get("slug", "")).strip().lower() for s in sections["symptoms"]}
    slugs |= _existing_keys(Symptom, "slug", named - slugs) if named - slugs else set()
    model_numbers = {str(m).strip().upper() for p in parts for m in p.get("compatible_models") or ()}
    models = {str(m.get("model_number", "")).strip().upper() for m in sections["models"]}
    models |= (
        _existing_keys(ApplianceModel, "model_number", model_numbers - models) if model_numbers - models else set()
    )
    refused: set[int] = set()
    for part in parts:
        appliance = str(part.get("appliance_type") or "").strip().lower()
        ps_number = str(part.get("ps_number") or "").strip()
        number = part[ROW_NUMBER]
        if isinstance(part.get("symptoms"), list):
            resolved = []
            for value in part["symptoms"]:
                if not isinstance(value, str):
                    resolved.append(value)  # refused, with its row, by the import
                    continue
                text = value.strip()
                if text.lower() in slugs:
                    resolved.append(text.lower())
                    continue
                slug = slugify(f"{appliance} {text}")[:120]
                if slug not in slugs:
                    sections["symptoms"].append(
                        {
                            "slug": slug,
                            "name": text,
                            "appliance_type": appliance,
                            "keywords": [text.lower()],
                            ROW_NUMBER: number,
                        }
                    )
                    slugs.add(slug)
                resolved.append(slug)
            part["symptoms"] = resolved
        compatible = part.pop("compatible_models", None)
        if compatible is not None and not isinstance(compatible, list):
            found.rejected.append(
                RowError(
                    "parts",
                    number,
                    "compatible_models",
                    CatalogErrorCode.IMPORT_INVALID_VALUE,
                    "compatible_models must be a list of model numbers.",
                )
            )
            refused.add(id(part))
        if not isinstance(compatible, list):
            continue
        for value in dict.fromkeys(str(m).strip().upper() for m in compatible):
            if value not in models and ps_number:
                sections["models"].append(
                    {
                        "model_number": value,
                        "brand": part.get("brand"),
                        "appliance_type": appliance,
                        ROW_NUMBER: number,
                        FOR_COMPATIBILITY: True,
                    }
                )
                models.add(value)
            sections["compatibility"].append({"ps_number": ps_number, "model_number": value, ROW_NUMBER: number})
    if refused:
        sections["parts"] = [part for part in parts if id(part) not in refused]


def catalog_file_read(*, data: bytes, file_format: str) -> CatalogFile:
    """Read a catalogue file (see the module docstring). Raises `CatalogImportError` when the
    file as a whole cannot be read; rows that cannot are in `rejected`."""
    if file_format not in FORMATS:
        raise _file_error(
            CatalogErrorCode.IMPORT_UNKNOWN_FORMAT, f"Unknown format {file_format!r}: one of {', '.join(FORMATS)}."
        )
    text = _text(data)
    found = CatalogFile()
    {"csv": _read_csv, "json": _read_json, "gmc": _read_gmc}[file_format](text, found)
    if not found.rows and not found.rejected:
        raise _file_error(CatalogErrorCode.IMPORT_EMPTY_FILE, "The file has a header but no rows.")
    _expand(found)
    columns = {("parts", key): column for column, key in PART_COLUMNS.items()}
    columns[("compatibility", "ps_number")] = "part_number"
    if file_format != "json":  # models, compatibility and symptoms come from a part's cells
        columns[("compatibility", "model_number")] = columns[("models", "model_number")] = "compatible_models"
        columns[("symptoms", "slug")] = columns[("symptoms", "name")] = "symptoms"
    found.columns = columns | found.columns
    return found


def _reported(found: CatalogFile, errors: list[RowError], *, one_per_row: bool) -> list[RowError]:
    """Row errors in the file's own words (its column names). `one_per_row`: where a file row
    is one part (CSV, GMC), the part's own error is reported, not what followed from it."""
    renamed = []
    for e in [*found.rejected, *errors]:
        column = found.columns.get((e.section, e.field), e.field)
        message = column + e.message[len(e.field) :] if e.field and e.message.startswith(e.field) else e.message
        renamed.append(RowError(e.section, e.row, column, e.code, message))
    renamed.sort(key=lambda e: (e.row, e.section != "parts", e.section))
    if one_per_row:
        renamed = [e for i, e in enumerate(renamed) if i == 0 or renamed[i - 1].row != e.row]
    return renamed


@transaction.atomic
def catalog_file_import(
    *,
    data: bytes,
    file_format: str,
    dry_run: bool = False,
    progress: Progress | None = None,
    batch_size: int = FILE_BATCH_SIZE,
) -> CatalogImportResult:
    """Import a catalogue file: the good rows are written, the others reported (see the module
    docstring). `dry_run` reads, checks and counts everything and writes nothing."""
    found = catalog_file_read(data=data, file_format=file_format)
    result = catalog_import(**found.sections, strict=False, dry_run=dry_run, progress=progress, batch_size=batch_size)
    result.rejected = _reported(found, result.rejected, one_per_row=file_format != "json")
    if not dry_run and result.changed_parts:
        changed = _ids(result.changed_parts)
        transaction.on_commit(lambda: _embeddings_refresh(changed))
    return result


def _ids(ps_numbers: list[str]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(ps_numbers), 2000):
        batch = ps_numbers[start : start + 2000]
        ids.extend(Product.objects.filter(ps_number__in=batch).values_list("id", flat=True))
    return sorted(ids)


EMBEDDINGS_TASK_SIZE = 2000


def _embeddings_refresh(product_ids: list[int]) -> None:
    from catalog.tasks import product_embeddings_refresh_task

    for start in range(0, len(product_ids), EMBEDDINGS_TASK_SIZE):
        product_embeddings_refresh_task.delay(product_ids[start : start + EMBEDDINGS_TASK_SIZE])
