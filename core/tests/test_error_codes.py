"""Error codes are declared, not typed ad hoc: an app with an `error_codes.py` names every code it
raises through its enum, so the list a client reads is the list the code uses."""

import ast
import importlib
import re
from pathlib import Path

import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
APPS_WITH_ERROR_CODES = sorted(path.parent.name for path in BASE.glob("*/error_codes.py"))


def _literal_codes(app: str) -> list[str]:
    """`raise …(code="…")` and `code = "…"` class attributes written as string literals."""
    found = []
    for path in (BASE / app).rglob("*.py"):
        rel = path.relative_to(BASE)
        if {"tests", "migrations"} & set(rel.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                for keyword in node.exc.keywords:
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                        found.append(f"{rel}:{node.lineno} code={keyword.value.value!r}")
            if isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and [getattr(t, "id", None) for t in statement.targets] == ["code"]
                        and isinstance(statement.value, ast.Constant)
                    ):
                        found.append(f"{rel}:{statement.lineno} code = {statement.value.value!r}")
    return found


def test_the_apps_that_declare_their_codes():
    assert {"actions", "alerts", "analytics", "catalog", "checkout", "conversations"} <= set(APPS_WITH_ERROR_CODES)


@pytest.mark.parametrize("app", APPS_WITH_ERROR_CODES)
def test_every_error_code_comes_from_the_apps_enum(app):
    assert _literal_codes(app) == []


@pytest.mark.parametrize("app", APPS_WITH_ERROR_CODES)
def test_codes_are_stable_snake_case_values_named_after_themselves(app):
    module = importlib.import_module(f"{app}.error_codes")
    (enum,) = [value for name, value in vars(module).items() if name.endswith("ErrorCode")]
    for member in enum:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", member.value), member
        assert member.name == member.value.upper(), member
