"""The live-server harness brings up real processes that answer HTTP."""

import signal

import httpx
import pytest


@pytest.mark.live
def test_live_sqlite_serves_the_admin_login(live_sqlite):
    response = httpx.get(live_sqlite.base_url + "/admin/login/", timeout=10)

    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in response.text
    assert live_sqlite.database_url.startswith("sqlite:////")
    assert "REDIS_URL" not in live_sqlite.env


@pytest.mark.live
def test_live_sqlite_runs_manage_commands_on_its_own_database(live_sqlite):
    live_sqlite.run_manage("create_demo_operator", "--username", "live-operator")

    out = live_sqlite.run_manage("create_demo_operator", "--username", "live-operator")

    assert "already exists" in out


def test_live_postgres_redis_serves_the_admin_with_a_ready_worker(live_postgres_redis):
    response = httpx.get(live_postgres_redis.base_url + "/admin/login/", timeout=10)

    assert response.status_code == 200
    assert live_postgres_redis.worker_ready
    assert live_postgres_redis.database_url.startswith(("postgres://", "postgresql://"))
    assert live_postgres_redis.env["REDIS_URL"] == live_postgres_redis.env["CELERY_BROKER_URL"]
    assert not live_postgres_redis.env["REDIS_URL"].endswith("/0")


@pytest.mark.postgres
@pytest.mark.redis
def test_a_killed_worker_can_be_replaced_and_the_server_restarted(live_stack_factory):
    stack = live_stack_factory(database="postgres", redis=True, celery_worker=True)
    first_pid = stack.worker.pid

    assert stack.kill_worker(signal.SIGKILL) == -signal.SIGKILL
    assert not stack.worker_ready
    stack.start_worker()
    stack.restart_server()

    assert stack.worker_ready
    assert stack.worker.pid != first_pid
    assert httpx.get(stack.base_url + "/admin/login/", timeout=10).status_code == 200
