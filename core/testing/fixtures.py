"""Fixtures every app's tests share that know no domain (a pytest plugin: the root conftest lists it
in `pytest_plugins`)."""

import pytest


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()
