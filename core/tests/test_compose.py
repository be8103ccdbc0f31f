"""docker-compose.yml is valid for the compose-go parser and has the production topology."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.testing.services import services_required

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
SERVICES = {"postgres", "redis", "web", "worker", "beat"}
SECRETS = {"DJANGO_SECRET_KEY": "compose-test-key-" + "Zq8Lw3Nv" * 6, "POSTGRES_PASSWORD": "composetestpw"}


@pytest.fixture
def compose():
    binary = Path(sys.executable).parent / "docker-compose"
    if not binary.exists():
        message = f"{binary} is missing (compose-go from requirements-dev.txt provides it)"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)

    def run(*args, secrets=SECRETS):
        # Only what the test gives: no secret from the caller's environment or an .env file.
        env = {key: value for key, value in os.environ.items() if key not in SECRETS and not key.startswith("STRIPE_")}
        return subprocess.run(
            [str(binary), "-f", str(COMPOSE_FILE), "--env-file", os.devnull, *args],
            cwd=REPO,
            env={**env, **secrets},
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


def test_compose_file_is_valid(compose):
    result = compose("config", "--quiet")

    assert result.returncode == 0, result.stderr
    assert not result.stderr.strip()


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_start_without_each_secret(compose, missing):
    result = compose("config", "--format", "json", secrets={k: v for k, v in SECRETS.items() if k != missing})

    # compose-go's command exits 0 even then: the refusal is the message and the missing output.
    assert f"required variable {missing} is missing a value: set {missing}" in result.stderr
    assert not result.stdout.strip()


def test_compose_has_no_secret_defaults(compose):
    result = compose("config", "--format", "json")
    assert result.returncode == 0, result.stderr
    env = json.loads(result.stdout)["services"]["web"]["environment"]

    assert env["DJANGO_SECRET_KEY"] == SECRETS["DJANGO_SECRET_KEY"]
    assert SECRETS["POSTGRES_PASSWORD"] in env["DATABASE_URL"]
    assert env["STRIPE_WEBHOOK_SECRET"] == ""  # production refuses to start if Stripe is on without one
    assert env["PARLEY_OFFLINE_PAYMENTS"] == "0"
    assert env["DJANGO_BEHIND_PROXY"] == "0"  # served directly: X-Forwarded-For is not to be trusted


def test_compose_file_has_the_five_services_wired_by_health(compose):
    result = compose("config", "--format", "json")
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]

    assert set(services) >= SERVICES
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
        assert env["DJANGO_SECRET_KEY"]
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["web"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "daphne" in " ".join(services["web"]["command"])
    assert "migrate" in " ".join(services["web"]["command"])
    assert "seed_demo" in " ".join(services["web"]["command"])
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]
    for name in ("postgres", "redis", "web"):
        assert services[name]["healthcheck"]["test"]
