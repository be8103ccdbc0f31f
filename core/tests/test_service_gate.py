"""Service-marked tests skip with a reason locally and fail in CI (PARLEY_REQUIRE_SERVICES=1)."""

from pathlib import Path

import pytest

from core.testing import services

REPO = Path(__file__).resolve().parents[2]

CONFTEST = """
from core.testing.services import apply_service_gate

def pytest_runtest_setup(item):
    apply_service_gate(item)
"""
INI = """
[pytest]
markers =
    postgres: needs PostgreSQL
    redis: needs Redis
"""
TESTS = """
import pytest

@pytest.mark.redis
def test_needs_redis():
    pass

@pytest.mark.postgres
def test_needs_postgres():
    pass

def test_needs_nothing():
    pass
"""


@pytest.fixture
def no_services(monkeypatch, pytester):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("DATABASE_URL", "sqlite:///nowhere.sqlite3")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # port 1: nothing listens
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    pytester.makepyfile(test_gate=TESTS)
    return pytester


def test_missing_services_skip_with_the_reason(no_services, monkeypatch):
    monkeypatch.delenv("PARLEY_REQUIRE_SERVICES", raising=False)

    result = no_services.runpytest_subprocess("-p", "no:django", "-p", "no:cacheprovider", "-rs")

    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*Redis at REDIS_URL is not reachable*", "*DATABASE_URL is not a PostgreSQL URL*"])


def test_missing_services_fail_when_required(no_services, monkeypatch):
    monkeypatch.setenv("PARLEY_REQUIRE_SERVICES", "1")

    result = no_services.runpytest_subprocess("-p", "no:django", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(["*PARLEY_REQUIRE_SERVICES=1 but a service is missing*"])


def test_postgres_problem_names_a_non_postgres_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/x.sqlite3")
    services.postgres_problem.cache_clear()
    try:
        assert "not a PostgreSQL URL" in services.postgres_problem()
        assert not services.postgres_available()
    finally:
        services.postgres_problem.cache_clear()


def test_postgres_conninfo_switches_database_and_scheme():
    url = "postgres://u:p@db.local:5433/parley"

    assert services.postgres_conninfo(url, dbname="postgres") == "postgresql://u:p@db.local:5433/postgres"
