"""Repeated failed operator logins are locked out (django-axes): admin, and the inbox through it."""

import pytest
from axes.models import AccessAttempt

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_user(username="olga", password="Right-pass-9876", is_staff=True)


def login(client, password, address="10.3.0.1"):
    return client.post(LOGIN, {"username": "olga", "password": password, "next": "/operator/"}, REMOTE_ADDR=address)


def test_five_failures_lock_the_username_from_that_address(client, operator, settings):
    settings.AXES_FAILURE_LIMIT = 5

    failures = [login(client, f"guess-{i}").status_code for i in range(5)]  # was: 200 for ever
    locked = login(client, "Right-pass-9876")  # even the right password, until the cool-off

    assert failures == [200] * 4 + [429]  # the form again, then the fifth failure locks
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="olga", ip_address="10.3.0.1").failures_since_start >= 5
    elsewhere = login(client, "Right-pass-9876", address="10.3.0.2")  # the operator, from their desk
    assert elsewhere.status_code == 302 and elsewhere["Location"] == "/operator/"


def test_a_success_resets_the_count(client, operator, settings):
    settings.AXES_FAILURE_LIMIT = 3
    login(client, "guess-1")
    login(client, "guess-2")
    assert login(client, "Right-pass-9876").status_code == 302
    client.logout()

    assert [login(client, f"again-{i}").status_code for i in range(2)] == [200, 200]  # counting from 0 again
    assert login(client, "Right-pass-9876").status_code == 302
