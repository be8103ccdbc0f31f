"""Synthetic orders for demos and benchmarks (`manage.py generate_events`).

Written from the sales analytics' traffic generator implies (`SyntheticSale`), with the sale's
own time as `created_at`. Marked with provider "synthetic", so `orders_synthetic_clear` removes
them and nothing else.
"""

from django.conf import settings
from django.db import connection, transaction

from analytics.services.synthetic import SyntheticSale
from checkout.models import Order, OrderLine

SYNTHETIC_PROVIDER = "synthetic"


def orders_synthetic_create(*, run: str, sales: list[SyntheticSale]) -> int:
    """One paid order of one line per sale, numbered SYN-<run>-n, 5,000 a transaction; returns how many."""
    currency = settings.PARLEY_CURRENCY
    for start in range(0, len(sales), 5000):
        chunk = sales[start : start + 5000]
        numbers = [f"SYN-{run}-{start + i:07d}" for i in range(len(chunk))]
        with transaction.atomic():
            _raw_insert(
                Order,
                [
                    {
                        "number": number,
                        "status": "paid",
                        "order_source": sale.source,
                        "currency": currency,
                        "subtotal": sale.price * sale.quantity,
                        "total": sale.price * sale.quantity,
                        "provider": SYNTHETIC_PROVIDER,
                        "created_at": sale.when,
                        "updated_at": sale.when,
                    }
                    for number, sale in zip(numbers, chunk, strict=True)
                ],
            )
            ids = dict(Order.objects.filter(number__in=numbers).values_list("number", "id"))
            _raw_insert(
                OrderLine,
                [
                    {
                        "order_id": ids[number],
                        "product_id": sale.product_id,
                        "sku": sale.ps_number,
                        "name": sale.name[:255],
                        "quantity": sale.quantity,
                        "unit_price": sale.price,
                        "line_total": sale.price * sale.quantity,
                    }
                    for number, sale in zip(numbers, chunk, strict=True)
                ],
            )
    return len(sales)


def _raw_insert(model, rows: list[dict]) -> None:
    """INSERT rows with every other column at its model default: unlike bulk_create, this keeps
    the given created_at (auto_now_add would overwrite it) and follows columns added later."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    params = [
        tuple(f.get_db_prep_save(row[f.attname] if f.attname in row else f.get_default(), connection) for f in fields)
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({placeholders})",  # noqa: S608
            params,
        )


@transaction.atomic
def orders_synthetic_clear() -> int:
    """Remove every synthetic order (and its lines); returns how many orders."""
    return Order.objects.filter(provider=SYNTHETIC_PROVIDER).delete()[1].get("checkout.Order", 0)
