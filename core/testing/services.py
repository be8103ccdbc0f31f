"""Which external services this machine has, for tests that need them.

A test marked `postgres`, `redis` or `browser` is skipped with the reason when its service is
missing, and fails with that reason when `PARLEY_REQUIRE_SERVICES=1` (CI), so a green CI run
never hides a service that quietly went away.
"""

import functools
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

SERVICE_MARKERS = ("postgres", "redis", "browser")
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "psql")
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def services_required() -> bool:
    return os.environ.get("PARLEY_REQUIRE_SERVICES", "").strip().lower() in ("1", "true", "yes", "on")


def is_postgres_url(url: str) -> bool:
    return urlsplit(url).scheme in POSTGRES_SCHEMES


@functools.cache
def postgres_problem() -> str | None:
    """None when DATABASE_URL names a PostgreSQL server that answers; else why not."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return "DATABASE_URL is not set (needs postgres://…)"
    if not is_postgres_url(url):
        return f"DATABASE_URL is not a PostgreSQL URL ({urlsplit(url).scheme}://…)"
    try:
        import psycopg

        with psycopg.connect(postgres_conninfo(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL at DATABASE_URL is not reachable: {exc}".strip()
    return None


@functools.cache
def redis_problem() -> str | None:
    """None when REDIS_URL is set and answers PING; else why not."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return "REDIS_URL is not set"
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return f"Redis at REDIS_URL is not reachable: {exc}"
    return None


def chromium_path() -> str | None:
    configured = os.environ.get("PARLEY_CHROMIUM")
    for candidate in (configured, *CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


@functools.cache
def browser_problem() -> str | None:
    if chromium_path() is None:
        return "Chromium is not installed (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make test installs requirements-dev.txt)"
    return None


def postgres_available() -> bool:
    return postgres_problem() is None


def redis_available() -> bool:
    return redis_problem() is None


def browser_available() -> bool:
    return browser_problem() is None


PROBLEMS = {"postgres": postgres_problem, "redis": redis_problem, "browser": browser_problem}


def service_problems(marker_names) -> list[str]:
    """The reasons, one per missing service, for the given marker names."""
    return [f"{name}: {problem}" for name in SERVICE_MARKERS if name in marker_names if (problem := PROBLEMS[name]())]


def postgres_conninfo(url: str, *, dbname: str | None = None) -> str:
    """A libpq URL for psycopg from a DATABASE_URL (any of the scheme spellings), optionally another db."""
    parts = urlsplit(url)
    path = f"/{dbname}" if dbname is not None else parts.path
    return parts._replace(scheme="postgresql", path=path).geturl()


def apply_service_gate(item) -> None:
    """From `pytest_runtest_setup`: skip (or, with PARLEY_REQUIRE_SERVICES=1, fail) a test whose service is missing."""
    import pytest

    problems = service_problems({mark.name for mark in item.iter_markers()})
    if not problems:
        return
    reason = "; ".join(problems)
    if services_required():
        pytest.fail(f"PARLEY_REQUIRE_SERVICES=1 but a service is missing: {reason}", pytrace=False)
    pytest.skip(f"needs a service: {reason}")
