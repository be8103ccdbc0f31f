"""Fixtures and service gates shared by every app's tests.

Markers (declared in pyproject.toml): `postgres`, `redis`, `browser` skip a test with the
reason when the service is missing, and fail it when PARLEY_REQUIRE_SERVICES=1 (CI).
`live` marks tests that start real processes. Tests using `live_postgres_redis` get the
`postgres`, `redis` and `live` markers automatically.

Live stacks (core/testing/live.py):
- `live_sqlite`: module-scoped Daphne on a fresh SQLite database with the demo shop.
- `live_postgres_redis`: module-scoped Daphne + a Celery worker on a fresh PostgreSQL
  database and a Redis database of its own.
- `live_stack_factory`: `live_stack_factory(database=..., redis=..., celery_worker=...)`
  for a stack of the test's own (stopped after the test), e.g. to kill its worker.
"""

import os

import pytest

from core.testing import live
from core.testing.flush import install_delete_flush, remember_post_migrate_rows
from core.testing.live import LiveStack
from core.testing.services import apply_service_gate

# Fixtures shared across apps live in plugin modules, each in the app that owns what it builds;
# an app's conftest.py keeps only the fixtures of its own tests (no conftest imports another).
pytest_plugins = [
    "pytester",
    "core.testing.fixtures",
    "catalog.tests.fixtures",
    "checkout.tests.fixtures",
]

_FIXTURE_MARKERS = {
    "live_postgres_redis": ("postgres", "redis", "live"),
    "live_sqlite": ("live",),
    "live_stack_factory": ("live",),
}


def pytest_configure(config):
    install_delete_flush()  # core/testing/flush.py: a transactional test's flush in ~0.1 s, not ~3 s


def pytest_unconfigure(config):
    live.cleanup()  # stacks, templates and their databases (atexit does not run in xdist workers)


def pytest_collection_modifyitems(config, items):
    for item in items:
        for fixture_name, markers in _FIXTURE_MARKERS.items():
            if fixture_name in getattr(item, "fixturenames", ()):
                for marker in markers:
                    if item.get_closest_marker(marker) is None:
                        item.add_marker(marker)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # Under `make test` (pytest-xdist, each file whole in one process) the files that start
        # servers or a browser, the longest, are handed out first, so no process is left with one
        # at the end while the others idle. Otherwise pytest-django's order (db, transactional,
        # the rest) is kept.
        slow = {item.path for item in items if item.get_closest_marker("live") or item.get_closest_marker("browser")}
        items.sort(key=lambda item: item.path not in slow)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    apply_service_gate(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the live stacks' log tails to a failing test's report."""
    report = yield
    if report.failed:
        stacks = [value for value in getattr(item, "funcargs", {}).values() if isinstance(value, LiveStack)]
        stacks += getattr(item, "_parley_live_stacks", [])
        for stack in stacks:
            report.sections.append((f"live stack {stack.id} logs", stack.logs_tail(60)))
    return report


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On a shared PostgreSQL server each run gets its own test database (`test_parley_<pid>`),
    so two suites running at once on one machine do not drop each other's database."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if not settings.DATABASE_IS_SQLITE:
        db.setdefault("TEST", {})["NAME"] = f"test_{db['NAME']}_{os.getpid()}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, then what post_migrate wrote in it (core/testing/flush.py)."""
    from django.db import connection

    with django_db_blocker.unblock():
        remember_post_migrate_rows(connection)


@pytest.fixture(scope="module")
def live_sqlite():
    with LiveStack(database="sqlite") as stack:
        yield stack


@pytest.fixture(scope="module")
def live_postgres_redis():
    with LiveStack(database="postgres", redis=True, celery_worker=True) as stack:
        yield stack


@pytest.fixture
def live_stack_factory(request):
    """Start stacks with any LiveStack arguments; all of them stop after the test."""
    stacks: list[LiveStack] = []
    request.node._parley_live_stacks = stacks

    def start(**kwargs) -> LiveStack:
        stack = LiveStack(**kwargs)
        stacks.append(stack)
        return stack.start()

    yield start
    for stack in reversed(stacks):
        stack.stop()


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """A channel layer instance per test: channels_redis binds its locks to the first event
    loop that waits on them, and every async test runs on a loop of its own."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
