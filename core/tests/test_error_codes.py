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


# Calls that take an error code as their first positional argument.
CODE_FIRST = {"error_body", "send_error", "_error"}
CODE_KEYWORDS = {"code", "invalid_code"}
# Plain data with a `code` that is not an error code (a quote line names its product by code).
NOT_ERROR_CALLS = {"QuoteLine"}


def _name(func) -> str:
    return getattr(func, "id", None) or getattr(func, "attr", "")


def _is_text(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _literal_codes(app: str) -> list[str]:
    """Error codes written as string literals: `…(code="…")` and `code = "…"` class attributes,
    `error_body("…", …)` / `send_error("…", …)`, a `code="…"` parameter default, and an error
    dict `{"code": "…", "detail" | "message" | "content": …}`."""
    found = []
    for path in (BASE / app).rglob("*.py"):
        rel = path.relative_to(BASE)
        if {"tests", "migrations"} & set(rel.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and _name(node.func) not in NOT_ERROR_CALLS:
                for keyword in node.keywords:
                    if keyword.arg in CODE_KEYWORDS and _is_text(keyword.value):
                        found.append(f"{rel}:{node.lineno} {keyword.arg}={keyword.value.value!r}")
                if _name(node.func) in CODE_FIRST and node.args and _is_text(node.args[0]):
                    found.append(f"{rel}:{node.lineno} {_name(node.func)}({node.args[0].value!r}, …)")
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                arguments = node.args.posonlyargs + node.args.args
                defaults = list(zip(arguments[len(arguments) - len(node.args.defaults) :], node.args.defaults))
                defaults += [(a, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None]
                for argument, default in defaults:
                    if argument.arg in CODE_KEYWORDS and _is_text(default):
                        found.append(f"{rel}:{node.lineno} def {node.name}({argument.arg}={default.value!r})")
            if isinstance(node, ast.Dict):
                keys = {key.value: value for key, value in zip(node.keys, node.values) if _is_text(key)}
                if "code" in keys and _is_text(keys["code"]) and {"detail", "message", "content"} & set(keys):
                    found.append(f"{rel}:{node.lineno} {{'code': {keys['code'].value!r}, …}}")
            if isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and [getattr(t, "id", None) for t in statement.targets] == ["code"]
                        and _is_text(statement.value)
                    ):
                        found.append(f"{rel}:{statement.lineno} code = {statement.value.value!r}")
    return found


def test_the_apps_that_declare_their_codes():
    assert {"actions", "agentic", "alerts", "analytics", "catalog", "checkout", "conversations", "core"} <= set(
        APPS_WITH_ERROR_CODES
    )


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
