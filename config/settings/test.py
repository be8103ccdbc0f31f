"""The test suite: base settings, fast hashing, mail kept in memory.

A file-based SQLite test database, because in-memory SQLite is not shared with the
threads that async tests and live servers use.
"""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import BASE_DIR, CHANNEL_LAYERS, DATABASE_IS_SQLITE, DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if DATABASE_IS_SQLITE:
    # One file per pytest process, so two suites running side by side never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".pytest-db-{os.getpid()}.sqlite3")}
if "CONFIG" in CHANNEL_LAYERS["default"]:
    # On Redis, groups of one pytest process only: `make test` runs two processes (pytest-xdist)
    # on one REDIS_URL, and a fixed group ("operators") must not carry one's pushes to the other.
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"parley-test-{os.getpid()}"
CELERY_TASK_ALWAYS_EAGER = True  # unit tests; integration tests start a real worker
# Rate-limit counters must not outlive a test run (nor be shared with another run's Redis).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Someone is always there unless a test says otherwise (shop hours tests set their own).
PARLEY_SHOP_HOURS = ""
# Tests import config.asgi for its application: the slow-collection log is a server's, and in a
# test process it would log at exit to a closed stream (live stacks run their Daphnes with the
# settings module of their own, config.settings.live).
PARLEY_GC_SLOW_MS = 0
# Nor is the collector's set-up a test process's: it keeps Python's own (the tests of the set-up
# call it with their own arguments).
PARLEY_GC_FREEZE = False
PARLEY_GC_THRESHOLDS: list[int] = []
# No axes banner at startup: under `make test` (pytest-xdist) the controller's copy of it would be
# printed after pytest's closing summary line.
AXES_VERBOSE = False
