"""A real Parley stack in subprocesses, for tests and benchmarks that need real servers.

    with LiveStack(database="sqlite") as stack:
        httpx.get(stack.base_url + "/admin/login/")

    with LiveStack(database="postgres", redis=True, celery_worker=True) as stack:
        stack.run_manage("seed_demo")          # any manage.py command, same database
        wait_for(lambda: stack.sql("SELECT count(*) FROM checkout_order")[0][0] == 1, what="the order")
        stack.kill_worker(signal.SIGKILL)      # a worker dies mid-task …
        stack.start_worker()                   # … and another one takes over

Each stack gets a database of its own (SQLite: a file in a temp dir; PostgreSQL: a
`parley_live_<random>` database on the server of DATABASE_URL, dropped `WITH (FORCE)` at the
end, on a thread that the process's exit waits for), migrated and loaded with the demo shop by `manage.py migrate` and `manage.py seed_demo`.
Those run once per process into a template that later stacks copy, so a second stack is
cheap. Setup commands run without a broker (Celery eager), so the database is complete
before the server starts. With `redis=True` the stack claims a Redis database of its own
(1-15, claimed with a key in the base database) and a unique channel-layer prefix, so
parallel runs don't collide. `LiveStack(database="postgres", kept_database="name")` uses (and
first creates, from the same template) a database of that name that outlives the stack, for a
benchmark that builds a big catalogue once and measures it in several runs.

Daphne serves `config.asgi:application` with `config.settings.live` (`make run`'s settings plus
a test-only app that can slow outbound sends) and DJANGO_DEBUG=0 (not the test settings, which
force eager Celery). Every process is stopped by its PID (SIGTERM,
then SIGKILL after a timeout); every log is a file in `log_dir`, and failures raise
`LiveStackError` carrying the tail of the log that explains them.

What the stack's processes wrote is read with `stack.sql(...)`, straight from its database: a
poll costs milliseconds, where `run_manage("shell", ...)` starts a Django process each time
(seconds on a busy machine). `wait_for` is the one way a test waits for a condition.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import httpx

from core.testing.services import is_postgres_url, postgres_conninfo

BASE_DIR = Path(__file__).resolve().parent.parent.parent
CELERY_QUEUES = "default,outbound,payments,llm,bulk"
_REMOVED_FROM_ENV = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CHANNEL_LAYER_PREFIX",
    "PARLEY_PUBLIC_URL",
    "PYTEST_CURRENT_TEST",
    "PYTEST_ADDOPTS",
)
_REDIS_CLAIM_KEY = "parley-live:claim:{db}"
_REDIS_CLAIM_SECONDS = 3 * 3600


class LiveStackError(RuntimeError):
    """Something in the stack did not start or a command failed; the message has the log tail."""


def wait_for(predicate, *, timeout: float = 60.0, what: str = "the condition", every: float = 0.1):
    """Call `predicate` until it returns something true (returned) or `timeout` seconds pass
    (AssertionError naming `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


def tail(path: Path | str, lines: int = 40) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class _Process:
    name: str
    popen: subprocess.Popen
    log_path: Path
    log_file: IO = field(repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def terminate(self) -> None:
        """SIGTERM by this process's own PID, without waiting (stop() waits)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait, then SIGKILL: always by this process's own PID."""
        if self.alive():
            self.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.popen.kill()
                self.popen.wait(timeout)
        self.log_file.close()
        return self.popen.returncode


# --- per-process templates: migrate + seed once, copy for every stack ---------------------

_templates: dict[tuple, str] = {}  # (kind, seed, base) -> sqlite path or postgres db name
_template_dirs: list[Path] = []
_live_stacks: weakref.WeakSet[LiveStack] = weakref.WeakSet()
_drops: list[threading.Thread] = []  # stopped stacks' databases being dropped


def _run_setup(args: list[str], env: dict, log_dir: Path, label: str, timeout: float = 600) -> None:
    log_path = log_dir / f"{label}.log"
    with log_path.open("w") as log:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    if result.returncode != 0:
        raise LiveStackError(
            f"`manage.py {' '.join(args)}` failed with exit code {result.returncode}; "
            f"last lines of {log_path}:\n{tail(log_path)}"
        )


def _prepare(env: dict, log_dir: Path, seed: bool, prefix: str) -> None:
    _run_setup(["migrate", "--noinput"], env, log_dir, f"{prefix}migrate")
    if seed:
        _run_setup(["seed_demo"], env, log_dir, f"{prefix}seed_demo")


def _admin_connect(base_url: str):
    import psycopg

    last_error = None
    for dbname in ("postgres", None):
        try:
            return psycopg.connect(postgres_conninfo(base_url, dbname=dbname), autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc:
            last_error = exc
    raise LiveStackError(f"cannot connect to PostgreSQL at DATABASE_URL: {last_error}")


def _pg_create(base_url: str, name: str, template: str | None = None) -> None:
    from psycopg import sql

    with _admin_connect(base_url) as conn:
        if template:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
            )
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _pg_exists(base_url: str, name: str) -> bool:
    with _admin_connect(base_url) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _pg_drop(base_url: str, name: str) -> None:
    from psycopg import sql

    with _admin_connect(base_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _pg_drop_later(base_url: str, name: str) -> None:
    """Drop a stopped stack's database on a thread: a DROP DATABASE waits for a checkpoint (seconds
    on a busy server), and nothing waits for the drop but the end of the process."""

    def drop() -> None:
        with contextlib.suppress(Exception):
            _pg_drop(base_url, name)

    thread = threading.Thread(target=drop, name=f"drop-{name}", daemon=True)
    thread.start()
    _drops.append(thread)


def cleanup() -> None:
    """Stop every stack, drop the templates and wait for the drops. Idempotent: pytest calls it at
    the end of the session (pytest-xdist's workers end without atexit), atexit again."""
    for stack in list(_live_stacks):
        with contextlib.suppress(Exception):
            stack.stop()
    while _templates:
        (kind, _seed, base), value = _templates.popitem()
        if kind == "postgres":
            _pg_drop_later(base, value)
    while _drops:
        _drops.pop().join(120)
    while _template_dirs:
        shutil.rmtree(_template_dirs.pop(), ignore_errors=True)


atexit.register(cleanup)


def _template_sqlite(seed: bool, env: dict) -> Path:
    key = ("sqlite", seed, "")
    if key not in _templates:
        tdir = Path(tempfile.mkdtemp(prefix="parley-live-template-"))
        _template_dirs.append(tdir)
        path = tdir / "db.sqlite3"
        _prepare({**env, "DATABASE_URL": f"sqlite:///{path}"}, tdir, seed, prefix="")
        with contextlib.closing(sqlite3.connect(path)) as conn:  # fold the WAL into the file we copy
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _templates[key] = str(path)
    return Path(_templates[key])


def _template_postgres(seed: bool, env: dict, base_url: str, log_dir: Path) -> str:
    key = ("postgres", seed, base_url)
    if key not in _templates:
        name = f"parley_live_tpl_{uuid.uuid4().hex[:10]}"
        _pg_create(base_url, name)
        try:
            _prepare({**env, "DATABASE_URL": _with_db(base_url, name)}, log_dir, seed, prefix="template-")
        except BaseException:
            _pg_drop(base_url, name)
            raise
        _templates[key] = name
    return _templates[key]


def _with_db(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


# --- Redis: a database of our own -----------------------------------------------------


def _claim_redis_db(base_url: str, token: str) -> int:
    import redis

    parts = urlsplit(base_url)
    base_db = int((parts.path or "/0").strip("/") or 0)
    # The claims live in database 0 whatever REDIS_URL names: runs with different REDIS_URL
    # databases (parallel worktrees) must see each other's claims, or two stacks share a broker
    # and their workers take each other's tasks.
    client = redis.Redis.from_url(_with_db(base_url, "0"), socket_connect_timeout=5)
    try:
        try:
            count = int(client.config_get("databases").get("databases", 16))
        except redis.RedisError:
            count = 16
        # From the top down: the low numbers are the ones people give REDIS_URL (a stack
        # flushes its database when it stops).
        for db in range(count - 1, 0, -1):
            if db == base_db:
                continue
            if client.set(_REDIS_CLAIM_KEY.format(db=db), token, nx=True, ex=_REDIS_CLAIM_SECONDS):
                return db
    finally:
        client.close()
    raise LiveStackError(f"no free Redis database on {parts.hostname}:{parts.port} (all of 1-{count - 1} claimed)")


def _release_redis_db(base_url: str, db: int, token: str) -> None:
    import redis

    client = redis.Redis.from_url(_with_db(base_url, "0"), socket_connect_timeout=5)
    try:
        mine = redis.Redis.from_url(_with_db(base_url, str(db)), socket_connect_timeout=5)
        try:
            mine.flushdb()
        finally:
            mine.close()
        key = _REDIS_CLAIM_KEY.format(db=db)
        if client.get(key) == token.encode():
            client.delete(key)
    finally:
        client.close()


# --- the stack ------------------------------------------------------------------------


class LiveStack:
    """Daphne (+ optionally a Celery worker) on a database of its own. See the module docstring."""

    def __init__(
        self,
        database: str = "sqlite",
        *,
        redis: bool = False,
        celery_worker: bool = False,
        extra_env: dict[str, str] | None = None,
        seed: bool = True,
        ready_path: str = "/admin/login/",
        startup_timeout: float = 90.0,
        name: str | None = None,
        kept_database: str | None = None,
    ):
        if database not in ("sqlite", "postgres"):
            raise ValueError("database is 'sqlite' or 'postgres'")
        if celery_worker and not redis:
            raise ValueError("a Celery worker needs a broker: pass redis=True")
        if kept_database and database != "postgres":
            raise ValueError("a kept database is a PostgreSQL one")
        self.database = database
        self.redis = redis
        self.celery_worker = celery_worker
        self.extra_env = dict(extra_env or {})
        self.seed = seed
        self.ready_path = ready_path
        self.startup_timeout = startup_timeout
        self.id = name or uuid.uuid4().hex[:10]
        self.kept_database = kept_database
        self.log_dir: Path | None = None
        self.port: int | None = None
        self.env: dict[str, str] = {}
        self.database_url = ""
        self.redis_url = ""
        self.server: _Process | None = None
        self.worker: _Process | None = None
        self._pg_name: str | None = None
        self._pg_base = ""
        self._redis_base = ""
        self._redis_db: int | None = None
        self._worker_starts = 0
        self._server_starts = 0
        self._started = False

    # -- URLs --
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- lifecycle --
    def __enter__(self) -> LiveStack:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> LiveStack:
        if self._started:
            return self
        self._started = True
        _live_stacks.add(self)
        self.log_dir = Path(tempfile.mkdtemp(prefix=f"parley-live-{self.id}-"))
        try:
            base_env = self._base_env()
            self._prepare_database(base_env)
            self.env = {**base_env, "DATABASE_URL": self.database_url}
            if self.redis:
                self._prepare_redis()
                self.env["REDIS_URL"] = self.redis_url
                self.env["CELERY_BROKER_URL"] = self.redis_url
            self.env.update(self.extra_env)
            self._start_server()
            if self.celery_worker:
                self.start_worker()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop what this stack started, by PID; drop its database and free its Redis db."""
        if not self._started:
            return
        self._started = False
        processes = [process for process in (self.worker, self.server) if process is not None]
        for process in processes:  # both shut down at once, then each is waited for
            with contextlib.suppress(Exception):
                process.terminate()
        for process in processes:
            with contextlib.suppress(Exception):
                process.stop()
        self.worker = self.server = None
        if self._pg_name:
            _pg_drop_later(self._pg_base, self._pg_name)
            self._pg_name = None
        if self._redis_db is not None:
            with contextlib.suppress(Exception):
                _release_redis_db(self._redis_base, self._redis_db, self.id)
            self._redis_db = None
        if self.log_dir and not os.environ.get("PARLEY_LIVE_KEEP"):
            shutil.rmtree(self.log_dir, ignore_errors=True)
        _live_stacks.discard(self)

    # -- setup --
    def _base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _REMOVED_FROM_ENV}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.live",
                "DJANGO_DEBUG": "0",
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
                "CHANNEL_LAYER_PREFIX": f"parley-live-{self.id}",
                "PYTHONUNBUFFERED": "1",
                # Every live test's browser and client come from 127.0.0.1: no per-address cap on
                # opening conversations (core/tests/test_limits.py tests the limits themselves).
                "PARLEY_CONVERSATIONS_RATE_PER_ADDRESS": "0/m",
            }
        )
        return env

    def _prepare_database(self, env: dict) -> None:
        assert self.log_dir is not None
        if self.database == "sqlite":
            path = self.log_dir / "db.sqlite3"
            shutil.copyfile(_template_sqlite(self.seed, env), path)
            self.database_url = f"sqlite:///{path}"
            return
        base = os.environ.get("DATABASE_URL", "")
        if not is_postgres_url(base):
            raise LiveStackError("LiveStack(database='postgres') needs DATABASE_URL=postgres://… in the environment")
        if self.kept_database:
            if not _pg_exists(base, self.kept_database):
                _pg_create(base, self.kept_database, template=_template_postgres(self.seed, env, base, self.log_dir))
            self.database_url = _with_db(base, self.kept_database)  # not dropped at stop
            return
        template = _template_postgres(self.seed, env, base, self.log_dir)
        self._pg_base = base
        self._pg_name = f"parley_live_{self.id}"
        _pg_create(base, self._pg_name, template=template)
        self.database_url = _with_db(base, self._pg_name)

    def _prepare_redis(self) -> None:
        base = os.environ.get("REDIS_URL", "")
        if not base:
            raise LiveStackError("LiveStack(redis=True) needs REDIS_URL in the environment")
        self._redis_base = base
        self._redis_db = _claim_redis_db(base, self.id)
        self.redis_url = _with_db(base, str(self._redis_db))
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=5)
        try:
            client.flushdb()
        finally:
            client.close()

    def _spawn(self, name: str, args: list[str]) -> _Process:
        assert self.log_dir is not None
        log_path = self.log_dir / f"{name}.log"
        log_file = log_path.open("w")
        popen = subprocess.Popen(
            args,
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the terminal does not reach it; stop() does
        )
        return _Process(name=name, popen=popen, log_path=log_path, log_file=log_file)

    # -- the server --
    def _start_server(self) -> None:
        keep_port = self.port is not None
        for attempt in range(3):
            if not keep_port or attempt:
                self.port = free_port()
            self._server_starts += 1
            self.env["PARLEY_PUBLIC_URL"] = self.base_url
            self.server = self._spawn(
                f"daphne-{self._server_starts}",
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"],
            )
            try:
                self._wait_http_ready(self.server)
                return
            except LiveStackError:
                if "Address already in use" in tail(self.server.log_path, 200) and attempt < 2:
                    self.server.stop()
                    continue
                raise

    def _wait_http_ready(self, process: _Process) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last = "no answer yet"
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not process.alive():
                    raise LiveStackError(
                        f"Daphne exited with code {process.popen.returncode} before it was ready; "
                        f"last lines of {process.log_path}:\n{tail(process.log_path)}"
                    )
                try:
                    response = client.get(self.url(self.ready_path))
                    if response.status_code < 500:
                        return
                    last = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    last = repr(exc)
                time.sleep(0.1)
        raise LiveStackError(
            f"Daphne did not answer {self.ready_path} within {self.startup_timeout:.0f}s ({last}); "
            f"last lines of {process.log_path}:\n{tail(process.log_path)}"
        )

    def restart_server(self) -> None:
        """Stop Daphne and start it again on the same port (base_url stays valid)."""
        if self.server is not None:
            self.server.stop()
        self._start_server()

    # -- the worker --
    def start_worker(self, *, pool: str = "solo", concurrency: int = 1) -> _Process:
        """Start a Celery worker (solo pool unless told) on every queue; returns once it logged 'ready'."""
        if not self.redis:
            raise LiveStackError("this stack has no broker (redis=False), so no worker")
        if self.worker is not None and self.worker.alive():
            raise LiveStackError("a worker is already running; kill_worker() or stop_worker() first")
        self._worker_starts += 1
        self.worker = self._spawn(
            f"worker-{self._worker_starts}",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-P",
                pool,
                "-c",
                str(concurrency),
                "-Q",
                CELERY_QUEUES,
                "-n",
                f"live-{self.id}-{self._worker_starts}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
            ],
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if not self.worker.alive():
                raise LiveStackError(
                    f"the Celery worker exited with code {self.worker.popen.returncode} before it was ready; "
                    f"last lines of {self.worker.log_path}:\n{tail(self.worker.log_path)}"
                )
            if " ready." in self.worker.log_path.read_text(errors="replace"):
                return self.worker
            time.sleep(0.1)
        raise LiveStackError(
            f"the Celery worker was not ready within {self.startup_timeout:.0f}s; "
            f"last lines of {self.worker.log_path}:\n{tail(self.worker.log_path)}"
        )

    @property
    def worker_ready(self) -> bool:
        return (
            self.worker is not None
            and self.worker.alive()
            and " ready." in self.worker.log_path.read_text(errors="replace")
        )

    def kill_worker(self, sig: int = signal.SIGKILL, timeout: float = 15.0) -> int | None:
        """Send `sig` to the worker's PID and wait for it to exit; returns its exit code."""
        if self.worker is None:
            return None
        if self.worker.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.worker.pid, sig)
            try:
                self.worker.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.worker.popen.kill()
                self.worker.popen.wait(timeout)
        self.worker.log_file.close()
        return self.worker.popen.returncode

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()

    # -- commands and logs --
    def run_manage(self, *args: str, check: bool = True, timeout: float = 300, input: str | None = None) -> str:
        """Run `manage.py <args>` against this stack's database (and broker); return stdout."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            check=False,
        )
        if check and result.returncode != 0:
            raise LiveStackError(
                f"`manage.py {' '.join(args)}` failed with exit code {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result.stdout

    def sql(self, query: str, params: tuple | list = ()) -> list[tuple]:
        """The rows of one query on this stack's database, read by this process directly
        (`%s` placeholders on either database; tables by their Django names, `app_model`)."""
        if self.database == "sqlite":
            path = self.database_url.removeprefix("sqlite:///")
            with contextlib.closing(sqlite3.connect(path, timeout=10)) as conn:
                return conn.execute(query.replace("%s", "?"), tuple(params)).fetchall()
        import psycopg

        with psycopg.connect(postgres_conninfo(self.database_url), autocommit=True, connect_timeout=5) as conn:
            return conn.execute(query, tuple(params)).fetchall()

    def log_paths(self) -> list[Path]:
        if not self.log_dir or not self.log_dir.exists():
            return []
        return sorted(self.log_dir.glob("*.log"))

    def logs_tail(self, lines: int = 40) -> str:
        return "\n".join(f"--- {path.name} ---\n{tail(path, lines)}" for path in self.log_paths())
