"""`manage.py create_demo_operator`: a staff superuser whose password is shown once."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("create_demo_operator", *args, stdout=out)
    return out.getvalue()


def test_first_run_creates_the_operator_and_prints_a_working_password():
    out = run("--admin-url", "http://127.0.0.1:8123/admin/")

    password = re.search(r"password: (\S+)", out).group(1)
    user = get_user_model().objects.get(username="operator")
    assert user.is_staff and user.is_superuser
    assert user.check_password(password)
    assert "http://127.0.0.1:8123/admin/" in out


def test_later_runs_keep_the_password_and_say_how_to_reset_it():
    first = run()
    password = re.search(r"password: (\S+)", first).group(1)

    second = run()

    assert "password:" not in second
    assert "already exists" in second
    assert "changepassword operator" in second
    assert get_user_model().objects.get(username="operator").check_password(password)
    assert get_user_model().objects.filter(username="operator").count() == 1
