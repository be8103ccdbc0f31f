"""Importing a vendor's price book (plans, add-ons, bundle rule) from data, idempotently."""

from decimal import Decimal, InvalidOperation

from django.db import transaction

from checkout.enums import BundleRule, PriceKind
from checkout.error_codes import CheckoutErrorCode
from checkout.models import PriceBook, PriceBookEntry
from core.exceptions import ApplicationError


class PriceBookImportError(ApplicationError):
    code = CheckoutErrorCode.PRICE_BOOK_IMPORT_INVALID


def _money(value, *, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise PriceBookImportError(f"{field} is not an amount: {value!r}", fields={field: ["Not an amount."]}) from exc
    if amount < 0:
        raise PriceBookImportError(f"{field} must be 0 or more.", fields={field: ["Must be 0 or more."]})
    return amount


def _book_values(data: dict) -> dict:
    try:
        name = str(data["name"]).strip()
    except KeyError as exc:
        raise PriceBookImportError("A price book needs a name.", fields={"name": ["Required."]}) from exc
    rule = data.get("bundle_rule", BundleRule.ADDON_TABLE)
    if rule not in BundleRule.values:
        raise PriceBookImportError(
            f"Unknown bundle_rule {rule!r}.", fields={"bundle_rule": [f"One of {BundleRule.values}."]}
        )
    return {
        "name": name,
        "currency": str(data.get("currency", "GBP")).upper(),
        "is_active": bool(data.get("is_active", True)),
        "bundle_rule": rule,
        "chat_list_price": _money(data.get("chat_list_price", "59.00"), field="chat_list_price"),
        "bundle_discount_percent": _money(data.get("bundle_discount_percent", "5.00"), field="bundle_discount_percent"),
    }


def _entry_values(row: dict, index: int) -> dict:
    kind = row.get("kind")
    if kind not in PriceKind.values:
        raise PriceBookImportError(
            f"Entry {index}: unknown kind {kind!r}.", fields={"entries": [f"kind must be one of {PriceKind.values}."]}
        )
    code = str(row.get("code", "")).strip().lower()
    if not code:
        raise PriceBookImportError(f"Entry {index}: code is required.", fields={"entries": ["code is required."]})
    return {
        "kind": kind,
        "code": code,
        "name": str(row.get("name") or code.title()),
        "monthly_price": _money(row.get("monthly_price"), field=f"entries[{index}].monthly_price"),
        "stripe_price_id": str(row.get("stripe_price_id", "")),
        "payment_link": str(row.get("payment_link", "")),
    }


@transaction.atomic
def price_book_import(*, data: dict) -> tuple[PriceBook, dict[str, int]]:
    """Create or update the price book named `data["name"]` and its entries (by kind + code).

    Rows that already hold the same values are not written, so a second import changes
    nothing. When the imported book is active, the other books are deactivated (one active
    book at a time). Entries not in `data` are left alone. Unknown keys (`comment`, `note`)
    are documentation and ignored. Returns the book and counts of created/updated/unchanged.
    """
    values = _book_values(data)
    entries = [_entry_values(row, i) for i, row in enumerate(data.get("entries") or [])]
    counts = {"created": 0, "updated": 0, "unchanged": 0}

    book = PriceBook.objects.select_for_update().filter(name=values["name"]).order_by("pk").first()
    if book is None:
        book = PriceBook.objects.create(**values)
        counts["created"] += 1
    elif any(getattr(book, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(book, key, value)
        book.save()
        counts["updated"] += 1
    else:
        counts["unchanged"] += 1
    if book.is_active:
        PriceBook.objects.filter(is_active=True).exclude(pk=book.pk).update(is_active=False)

    existing = {(e.kind, e.code): e for e in book.entries.all()}
    for row in entries:
        current = existing.get((row["kind"], row["code"]))
        if current is None:
            PriceBookEntry.objects.create(price_book=book, **row)
            counts["created"] += 1
        elif any(getattr(current, k) != v for k, v in row.items()):
            for key, value in row.items():
                setattr(current, key, value)
            current.save()
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    return book, counts
