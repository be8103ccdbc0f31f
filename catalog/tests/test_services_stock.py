from types import SimpleNamespace

import pytest
from django.contrib.admin.sites import AdminSite

from catalog.admin import ProductAdmin
from catalog.exceptions import CatalogError
from catalog.models import Product
from catalog.services.stock import product_stock_set, stock_take
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


def test_stock_take_sells_announces_and_reports_what_it_could_not_cover(django_capture_on_commit_callbacks, received):
    rack = ProductFactory(ps_number="PS1", stock_quantity=5)
    wheel = ProductFactory(ps_number="PS2", stock_quantity=1)
    gone = ProductFactory(ps_number="PS3", stock_quantity=0)

    with django_capture_on_commit_callbacks(execute=True):
        products, short = stock_take(quantities={"PS1": 2, "PS2": 3, "PS3": 1, "PS404": 1})

    assert {ps: p.stock_quantity for ps, p in products.items()} == {"PS1": 5, "PS2": 1, "PS3": 0}
    assert short == {"PS2": 2, "PS3": 1}
    assert dict(Product.objects.values_list("ps_number", "stock_quantity")) == {"PS1": 3, "PS2": 0, "PS3": 0}
    # One announcement per product whose stock moved: the alerts close a round on a sell-out.
    assert sorted(received) == [(Product, rack.pk, 5, 3), (Product, wheel.pk, 1, 0)]
    assert gone.pk not in [event[1] for event in received]


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
