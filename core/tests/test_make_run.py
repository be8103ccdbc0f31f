"""`make run` (and the processes it starts before the server) is told the public URL it serves.

The real Makefile runs with a stand-in virtualenv whose `python` and `daphne` only record the
PARLEY_PUBLIC_URL they were started with, so the test checks what make exports, not a copy of it.
"""

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")

_RECORDER = """#!/bin/sh
echo "$(basename "$0") ${PARLEY_PUBLIC_URL:-unset} $*" >> "$RECORD"
"""


def _make(tmp_path: Path, *args: str, public_url: str | None = None) -> list[str]:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    for name in ("python", "daphne", "celery"):
        tool = venv / "bin" / name
        tool.write_text(_RECORDER)
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    record = tmp_path / "record.txt"
    env = {key: value for key, value in os.environ.items() if key != "PARLEY_PUBLIC_URL"}
    env["RECORD"] = str(record)
    if public_url is not None:
        env["PARLEY_PUBLIC_URL"] = public_url
    subprocess.run(
        ["make", "-s", "-C", str(settings.BASE_DIR), f"VENV={venv}", *args],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return record.read_text().splitlines()


def test_run_on_another_port_sends_links_to_that_port(tmp_path):
    lines = _make(tmp_path, "run", "HOST=shop.test", "PORT=8304")

    daphne = [line for line in lines if line.startswith("daphne ")]
    assert daphne == ["daphne http://shop.test:8304 -b shop.test -p 8304 config.asgi:application"]
    # The seed, the migration and the operator's printed admin link see the same address.
    manage = [line for line in lines if "manage.py" in line]
    assert any("seed_demo" in line for line in manage)
    assert any("create_demo_operator" in line for line in manage)
    assert {line.split()[1] for line in manage} == {"http://shop.test:8304"}


def test_an_explicit_public_url_wins_over_host_and_port(tmp_path):
    lines = _make(tmp_path, "run", "PORT=8304", public_url="https://shop.example.com")

    assert {line.split()[1] for line in lines if not line.startswith("python -m pip")} == {"https://shop.example.com"}


def test_the_worker_links_to_the_same_port(tmp_path):
    lines = _make(tmp_path, "worker", "PORT=8304")

    assert [line.split()[:2] for line in lines if line.startswith("celery ")] == [["celery", "http://127.0.0.1:8304"]]


def test_without_host_and_port_the_default_address(tmp_path):
    lines = _make(tmp_path, "run")

    assert [line.split()[1] for line in lines if line.startswith("daphne ")] == ["http://127.0.0.1:8000"]
