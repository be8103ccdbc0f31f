"""Django's SQLite backend, with the connection a request closes kept for the next request.

Under Daphne each request's view runs in a thread of its own (asgiref's per-request executor)
and Django's connections are per thread, so CONN_MAX_AGE keeps nothing: every request opened
the file (about a millisecond of CPU: the connection, Django's SQL functions, the PRAGMAs) and
closed it at the end. Closing a process's last connection to a write-ahead-logged database also
checkpoints the log into the file and deletes it, with an fsync (5-10 ms on a shared disk), and
the next request's first commit made the log again (2 ms more).

Here a close hands the open sqlite3 connection to a small pool of this process and a connect
takes one from it; a connection is reused only by one thread at a time, as Django's own
thread sharing allows. Kept per process (a forked child never touches, nor closes, its parent's
connections: closing one would drop the parent's file locks) and per database file, by path
and inode (a test database deleted and made again under the same name is another file; the
old one's connections are closed). Not kept: a connection closed inside an atomic block (its
wrapper still holds it until the block ends), one whose rollback fails, more than `IDLE_MAX`,
and in-memory databases (Django never closes those). The pool's connections are closed at exit,
which folds the log into the file as a last close always did.
"""

from __future__ import annotations

import atexit
import os
import threading

from django.db.backends.sqlite3 import base
from django.utils.asyncio import async_unsafe

IDLE_MAX = 4


class _Pool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[tuple, list] = {}  # (pid, path, device, inode) -> idle sqlite3 connections

    def take(self, key: tuple):
        with self._lock:
            stale = [k for k in self._idle if k[:2] == key[:2] and k != key]
            closing = [conn for k in stale for conn in self._idle.pop(k)]
            idle = self._idle.get(key)
            conn = idle.pop() if idle else None
        for old in closing:
            old.close()
        return conn

    def give(self, key: tuple, conn) -> bool:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) >= IDLE_MAX:
                return False
            idle.append(conn)
            return True

    def close_all(self) -> None:
        with self._lock:
            mine = [k for k in self._idle if k[0] == os.getpid()]
            closing = [conn for k in mine for conn in self._idle.pop(k)]
        for conn in closing:
            conn.close()


_pool = _Pool()
atexit.register(_pool.close_all)


class DatabaseWrapper(base.DatabaseWrapper):
    def _pool_key(self) -> tuple | None:
        name = self.settings_dict["NAME"]
        if self.is_in_memory_db() or not isinstance(name, str | os.PathLike):
            return None
        try:
            found = os.stat(name)
        except OSError:
            return None
        return (os.getpid(), os.fspath(name), found.st_dev, found.st_ino)

    @async_unsafe
    def get_new_connection(self, conn_params):
        key = self._pool_key()
        conn = _pool.take(key) if key is not None else None
        if conn is None:
            return super().get_new_connection(conn_params)
        # What Django's own connect sets and a command may have changed (loaddata, migrations
        # turn foreign keys off and on); connect() sets autocommit after this.
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _close(self) -> None:
        conn, key = self.connection, self._pool_key()
        if conn is None or key is None or self.in_atomic_block:
            return super()._close()
        try:
            if conn.in_transaction:
                conn.rollback()
        except self.Database.Error:
            return super()._close()
        if not _pool.give(key, conn):
            super()._close()
        return None
