from django.db import transaction
from django.utils import timezone

from catalog.exceptions import CatalogError
from catalog.models import Product
from catalog.signals import stock_changed


def stock_changed_send_on_commit(*, product_id: int, old_quantity: int, new_quantity: int) -> None:
    """Announce a stock change once the current transaction commits (the alerts hook)."""

    def send() -> None:
        stock_changed.send(sender=Product, product_id=product_id, old_quantity=old_quantity, new_quantity=new_quantity)

    transaction.on_commit(send)


@transaction.atomic
def product_stock_set(*, product: Product, quantity: int) -> Product:
    """Set a product's stock level; `stock_changed` fires on commit when it really changed."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise CatalogError(
            "Stock quantity must be a whole number of 0 or more.",
            code="invalid_quantity",
            fields={"quantity": ["Must be a whole number of 0 or more."]},
        )
    old_quantity = Product.objects.select_for_update().values_list("stock_quantity", flat=True).get(pk=product.pk)
    product.stock_quantity = quantity
    if old_quantity == quantity:
        return product
    Product.objects.filter(pk=product.pk).update(stock_quantity=quantity, updated_at=timezone.now())
    stock_changed_send_on_commit(product_id=product.pk, old_quantity=old_quantity, new_quantity=quantity)
    return product
