import pytest


@pytest.fixture
def staff_api(db):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    user = get_user_model().objects.create_user("operator", password="pw-operator-1", is_staff=True)
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def customer_api(db):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    user = get_user_model().objects.create_user("customer", password="pw-customer-1")
    client = APIClient()
    client.force_login(user)
    return client
