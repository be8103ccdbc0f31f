"""config.settings.production refuses public or missing secrets and passes Django's deploy check."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

REPO = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "x7Qp9vLm2sRt8wYz4bNc6dFg1hJk5" * 2
STRONG_WEBHOOK = "whsec_" + "a1B2c3D4e5F6g7H8"
PRODUCTION_ENV = {"DJANGO_SECRET_KEY": STRONG_KEY, "DATABASE_URL": "sqlite:///:memory:"}
SECRET_VARS = ("DJANGO_SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "PARLEY_OFFLINE_PAYMENTS")


def load_production(monkeypatch, **env):
    """Execute config.settings.production afresh with exactly these secrets in the environment."""
    for name in SECRET_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    names = ("config.settings.base", "config.settings.production")
    saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    try:
        return importlib.import_module("config.settings.production")
    finally:
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "DJANGO_SECRET_KEY is required"),
        ({"DJANGO_SECRET_KEY": "parley-insecure-local-key-change-me"}, "development default"),
        ({"DJANGO_SECRET_KEY": "change-me-parley-compose-secret-key"}, "development default"),
        ({"DJANGO_SECRET_KEY": "short-but-mine"}, "too weak"),
        ({"DJANGO_SECRET_KEY": STRONG_KEY, "STRIPE_SECRET_KEY": "sk_live_x"}, "STRIPE_WEBHOOK_SECRET is required"),
        (
            {
                "DJANGO_SECRET_KEY": STRONG_KEY,
                "STRIPE_SECRET_KEY": "sk_live_x",
                "STRIPE_WEBHOOK_SECRET": "whsec_parley_offline_test_provider",
            },
            "STRIPE_WEBHOOK_SECRET is a development default",
        ),
        (
            {"DJANGO_SECRET_KEY": STRONG_KEY, "PARLEY_OFFLINE_PAYMENTS": "1"},
            "STRIPE_WEBHOOK_SECRET is required",
        ),
    ],
)
def test_production_refuses_to_start_without_its_own_secrets(monkeypatch, env, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load_production(monkeypatch, **env)


def test_production_has_no_offline_payments_and_no_webhook_secret_unless_asked(monkeypatch):
    plain = load_production(monkeypatch, DJANGO_SECRET_KEY=STRONG_KEY)
    assert plain.PARLEY_OFFLINE_PAYMENTS is False
    assert plain.STRIPE_WEBHOOK_SECRET == ""  # the webhook endpoint refuses everything

    demo = load_production(
        monkeypatch, DJANGO_SECRET_KEY=STRONG_KEY, PARLEY_OFFLINE_PAYMENTS="1", STRIPE_WEBHOOK_SECRET=STRONG_WEBHOOK
    )
    assert demo.PARLEY_OFFLINE_PAYMENTS is True
    assert demo.STRIPE_WEBHOOK_SECRET == STRONG_WEBHOOK


def test_check_deploy_is_clean_with_production_settings():
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SECRET_VARS and not key.startswith(("DJANGO_", "REDIS_URL"))
    }
    env.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="config.settings.production")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
