import pytest
from django.core.management import call_command

from catalog.models import ApplianceModel, Compatibility, Product, Symptom


@pytest.fixture(scope="module")
def demo_shop(django_db_setup, django_db_blocker):
    """The whole demo catalogue (seed_demo), loaded once per module and removed afterwards."""
    from actions.models import ResponseTemplate
    from checkout.models import PriceBook

    with django_db_blocker.unblock():
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        yield
        Compatibility.objects.all().delete()
        Product.objects.all().delete()
        ApplianceModel.objects.all().delete()
        Symptom.objects.all().delete()
        PriceBook.objects.all().delete()
        ResponseTemplate.objects.all().delete()
