"""The SQLite backend that keeps a closed connection for the next request (core/sqlite_backend):
the next thread gets the same open connection, with nothing of the last one's transaction left;
a connection closed inside an atomic block, or to a database file since replaced, is not reused.

Each test opens its own database file through a connection handler of its own, whatever database
the suite runs on."""

import os
import sqlite3
import threading

import pytest
from django.db import transaction
from django.db.utils import ConnectionHandler

from core.sqlite_backend import base as backend

ALIAS = "default"  # of this handler, not the suite's


@pytest.fixture
def handler(tmp_path, django_db_blocker, monkeypatch):
    handler = ConnectionHandler({ALIAS: {"ENGINE": "core.sqlite_backend", "NAME": str(tmp_path / "db.sqlite3")}})
    # transaction.atomic() finds its connection through this (the suite's own handler otherwise).
    monkeypatch.setattr(transaction, "get_connection", lambda using=None: handler[ALIAS])
    with django_db_blocker.unblock():
        connection = handler[ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE note (text TEXT)")
        connection.close()
        yield handler
    backend._pool.close_all()


def in_thread(handler, work):
    """`work(connection)` in a new thread (as each request under Daphne), which then closes it."""
    out = {}

    def run():
        connection = handler[ALIAS]
        try:
            out["value"] = work(connection)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out.get("value")


def raw(connection):
    connection.ensure_connection()
    return connection.connection


def notes(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM note")
        return [row[0] for row in cursor.fetchall()]


def test_the_next_thread_gets_the_connection_the_last_one_closed(handler):
    first = in_thread(handler, raw)
    second = in_thread(handler, raw)
    assert second is first


def test_a_transaction_left_open_is_rolled_back_before_the_connection_is_reused(handler):
    def write_without_commit(connection):
        connection.set_autocommit(False)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO note VALUES ('uncommitted')")
        return raw(connection)

    first = in_thread(handler, write_without_commit)
    assert in_thread(handler, raw) is first
    assert in_thread(handler, notes) == []
    assert in_thread(handler, lambda connection: connection.get_autocommit()) is True


def test_foreign_keys_are_on_again_for_the_next_user(handler):
    def turn_off(connection):
        connection.disable_constraint_checking()
        return raw(connection)

    first = in_thread(handler, turn_off)

    def foreign_keys(connection):
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys")
            return raw(connection), cursor.fetchone()[0]

    assert in_thread(handler, foreign_keys) == (first, 1)


def test_a_connection_closed_inside_an_atomic_block_is_not_reused(handler):
    def close_inside(connection):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO note VALUES ('lost')")
            kept = raw(connection)
            connection.close()
        return kept

    first = in_thread(handler, close_inside)
    assert in_thread(handler, raw) is not first
    assert in_thread(handler, notes) == []


def test_a_replaced_database_file_gets_new_connections(handler):
    first = in_thread(handler, raw)
    path = handler[ALIAS].settings_dict["NAME"]
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    assert in_thread(handler, raw) is not first
    assert in_thread(handler, lambda connection: connection.introspection.table_names()) == []


def test_no_more_than_idle_max_connections_are_kept(handler):
    ready, release = threading.Barrier(backend.IDLE_MAX + 2), threading.Event()
    held = []

    def hold(connection):
        held.append(raw(connection))
        ready.wait()
        release.wait()

    threads = [threading.Thread(target=in_thread, args=(handler, hold)) for _ in range(backend.IDLE_MAX + 1)]
    for thread in threads:
        thread.start()
    ready.wait()  # every thread holds a connection of its own at once, then all close them
    release.set()
    for thread in threads:
        thread.join()

    def is_open(conn) -> bool:
        try:
            conn.execute("SELECT 1")
        except sqlite3.ProgrammingError:  # "Cannot operate on a closed database."
            return False
        return True

    assert len({id(conn) for conn in held}) == backend.IDLE_MAX + 1
    assert sum(is_open(conn) for conn in held) == backend.IDLE_MAX
