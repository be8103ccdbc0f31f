from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from catalog.error_codes import CatalogErrorCode
from catalog.exceptions import CatalogError
from catalog.models import Product
from catalog.signals import stock_changed


def stock_changed_send_on_commit(*, product_id: int, old_quantity: int, new_quantity: int) -> None:
    """Announce a stock change once the current transaction commits (the alerts hook)."""

    def send() -> None:
        stock_changed.send(sender=Product, product_id=product_id, old_quantity=old_quantity, new_quantity=new_quantity)

    transaction.on_commit(send)


# The column is a PostgreSQL integer: more would fail in the write, not here.
STOCK_MAX = 2_147_483_647


@transaction.atomic
def product_stock_set(*, product: Product, quantity: int) -> Product:
    """Set a product's stock level; `stock_changed` fires on commit when it really changed."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= STOCK_MAX:
        raise CatalogError(
            f"Stock quantity must be a whole number from 0 to {STOCK_MAX:,}.",
            code=CatalogErrorCode.INVALID_QUANTITY,
            fields={"quantity": [f"Must be a whole number from 0 to {STOCK_MAX:,}."]},
        )
    old_quantity = Product.objects.select_for_update().values_list("stock_quantity", flat=True).get(pk=product.pk)
    product.stock_quantity = quantity
    if old_quantity == quantity:
        return product
    Product.objects.filter(pk=product.pk).update(stock_quantity=quantity, updated_at=timezone.now())
    stock_changed_send_on_commit(product_id=product.pk, old_quantity=old_quantity, new_quantity=quantity)
    return product


@transaction.atomic
def stock_take(*, quantities: dict[str, int]) -> tuple[dict[str, Product], dict[str, int]]:
    """Take sold parts out of stock: `quantities` maps ps_number → how many were sold.

    Returns the products as they were before the take (locked, by ps_number) and, per
    ps_number, how many could not be covered. A shortage is reported, never raised: the money
    is already taken when an order calls this. Stock never goes below 0. Rows are locked in
    ps_number order, so two orders for the same parts never deadlock; `stock_changed` fires on
    commit for each product whose stock moved (an open back-in-stock round closes on a sell-out).
    """
    products = {
        p.ps_number: p
        for p in Product.objects.select_for_update().filter(ps_number__in=list(quantities)).order_by("ps_number")
    }
    shortages = {}
    now = timezone.now()
    for ps_number, product in products.items():
        quantity = quantities[ps_number]
        if product.stock_quantity < quantity:
            shortages[ps_number] = quantity - product.stock_quantity
        new_quantity = max(product.stock_quantity - quantity, 0)
        if new_quantity == product.stock_quantity:
            continue
        Product.objects.filter(pk=product.pk).update(
            stock_quantity=Greatest(F("stock_quantity") - quantity, 0), updated_at=now
        )
        stock_changed_send_on_commit(
            product_id=product.pk, old_quantity=product.stock_quantity, new_quantity=new_quantity
        )
    return products, shortages
