from types import SimpleNamespace

import pytest
from django.contrib.admin.sites import AdminSite

from catalog.admin import ProductAdmin
from catalog.exceptions import CatalogError
from catalog.models import Product
from catalog.services.stock import product_stock_set
from catalog.signals import stock_changed
from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    events = []

    def listener(sender, product_id, old_quantity, new_quantity, **kwargs):
        events.append((sender, product_id, old_quantity, new_quantity))

    stock_changed.connect(listener)
    yield events
    stock_changed.disconnect(listener)


def test_stock_set_saves_and_announces_after_commit(django_capture_on_commit_callbacks, received):
    product = ProductFactory(stock_quantity=0)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        product_stock_set(product=product, quantity=7)
        assert received == []  # nothing before the commit

    for callback in callbacks:
        callback()
    assert Product.objects.get(pk=product.pk).stock_quantity == 7
    assert received == [(Product, product.pk, 0, 7)]


def test_stock_set_to_the_same_quantity_announces_nothing(django_capture_on_commit_callbacks, received):
    product = ProductFactory(stock_quantity=4)

    with django_capture_on_commit_callbacks(execute=True):
        product_stock_set(product=product, quantity=4)

    assert received == []


def test_stock_set_refuses_negative_quantities():
    product = ProductFactory(stock_quantity=4)

    with pytest.raises(CatalogError) as error:
        product_stock_set(product=product, quantity=-1)

    assert error.value.code == "invalid_quantity"
    assert Product.objects.get(pk=product.pk).stock_quantity == 4


def test_admin_save_goes_through_the_stock_service(django_capture_on_commit_callbacks, received, rf):
    product = ProductFactory(stock_quantity=0, name="Old name")
    admin = ProductAdmin(Product, AdminSite())
    product.stock_quantity, product.name = 12, "New name"
    form = SimpleNamespace(changed_data=["stock_quantity", "name"], initial={"stock_quantity": 0})

    with django_capture_on_commit_callbacks(execute=True):
        admin.save_model(rf.post("/"), product, form, change=True)

    saved = Product.objects.get(pk=product.pk)
    assert (saved.stock_quantity, saved.name) == (12, "New name")
    assert received == [(Product, product.pk, 0, 12)]
