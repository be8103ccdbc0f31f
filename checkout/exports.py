"""Orders to ship as a CSV for the warehouse or a carrier's bulk-label import (the admin's action
and `manage.py export_orders_to_ship` write the same file)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from checkout.models import Order
from core.csvsafe import csv_cell

COLUMNS = (
    "order_number",
    "placed_at",
    "fulfilment_status",
    "payment_status",
    "name",
    "email",
    "phone",
    "line_one",
    "line_two",
    "city",
    "state",
    "postal_code",
    "country",
    "items",
    "item_count",
    "shipping_option",
    "total",
    "currency",
    "needs_attention",
)


def order_ship_row(order: Order) -> dict:
    address = order.shipping_address or {}
    lines = list(order.lines.all())
    return {
        "order_number": order.number,
        "placed_at": order.created_at.isoformat(timespec="seconds"),
        "fulfilment_status": order.fulfilment_status,
        "payment_status": order.status,
        "name": address.get("name") or order.contact_name,
        "email": order.contact_email,
        "phone": order.contact_phone,
        **{key: address.get(key, "") for key in ("line_one", "line_two", "city", "state", "postal_code", "country")},
        "items": "; ".join(f"{line.quantity} x {line.sku} {line.name}" for line in lines),
        "item_count": sum(line.quantity for line in lines),
        "shipping_option": order.shipping_option,
        "total": f"{order.total:.2f}",
        "currency": order.currency,
        "needs_attention": "yes" if order.needs_attention else "",
    }


def orders_ship_csv_write(*, orders: Iterable[Order], out: TextIO) -> int:
    """Write a header and one row per order to `out`; the number of orders written."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for order in orders:
        writer.writerow({key: csv_cell(value) for key, value in order_ship_row(order).items()})
        count += 1
    return count
