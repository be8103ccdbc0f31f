import pytest

from conversations.models import Customer
from conversations.services.customers import customer_get_or_create_by_email

pytestmark = pytest.mark.django_db


def test_a_buyer_named_by_email_is_one_customer_whatever_the_case():
    first = customer_get_or_create_by_email(email=" Ada@Example.com ", name="Ada", phone="+15550100")
    again = customer_get_or_create_by_email(email="ada@example.com", name="Someone else")

    assert again.pk == first.pk
    assert list(Customer.objects.values_list("email", "name", "phone")) == [("ada@example.com", "Ada", "+15550100")]


def test_no_email_makes_no_customer():
    assert customer_get_or_create_by_email(email="  ") is None
    assert not Customer.objects.exists()
