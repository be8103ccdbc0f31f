import pytest


@pytest.fixture
def out_of_stock(shop):
    """The upper rack adjuster, sold out (PS11750057)."""
    from catalog.models import Product

    Product.objects.filter(pk=shop["rack"].pk).update(stock_quantity=0)
    shop["rack"].refresh_from_db()
    return shop["rack"]


@pytest.fixture
def subscribe(db):
    """Active email subscriptions, oldest first, created straight in the database."""
    from datetime import timedelta

    from django.utils import timezone

    from alerts.models import BackInStockSubscription

    def make(product, count, *, channel="email", start=0, status="active", **extra):
        base = timezone.now() - timedelta(days=1)
        subs = []
        for i in range(start, start + count):
            sub = BackInStockSubscription.objects.create(
                product=product, channel=channel, contact=f"person{i}@example.com", status=status, **extra
            )
            BackInStockSubscription.objects.filter(pk=sub.pk).update(created_at=base + timedelta(seconds=i))
            subs.append(sub)
        return subs

    return make


@pytest.fixture
def restock(django_capture_on_commit_callbacks):
    """Set a part's stock through the catalogue service and run everything that follows on commit."""
    from catalog.services.stock import product_stock_set

    def run(product, quantity):
        with django_capture_on_commit_callbacks(execute=True):
            product_stock_set(product=product, quantity=quantity)

    return run
