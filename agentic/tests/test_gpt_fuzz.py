"""Schema-driven fuzzing of the GPT actions: schemathesis generates requests from the document
the GPT reads (/api/gpt/openapi.json) and sends them in-process, with the platform's key, with
none, and with a wrong one. No answer is a 5xx and nothing logs a traceback. Bounded and
in-process (core.testing.fuzz), like agentic/tests/test_acp_fuzz.py."""

import json
import logging

import pytest
from django.test import Client
from hypothesis import strategies as st

from core.testing.fuzz import case_send, schema_fuzz

pytestmark = pytest.mark.django_db

CASES_PER_OPERATION = 40  # 5 operations: 200 requests


@pytest.fixture
def unthrottled(settings):
    for name in ("ALERTS_RATE_LIMIT_PER_IP", "ALERTS_RATE_LIMIT_PER_CONTACT"):
        setattr(settings, name, "0/m")


def test_generated_gpt_requests_never_get_a_5xx_nor_a_traceback(shop, platform, unthrottled, caplog):
    client = Client()
    document = json.loads(client.get("/api/gpt/openapi.json").content)
    document["servers"] = [{"url": "/"}]
    caplog.set_level(logging.ERROR)

    def send(case, key, honest):
        if honest:  # a sold part and a model that exist, so cases reach the code behind "not found"
            for where in (case.path_parameters, case.query, case.body):
                if isinstance(where, dict):
                    for name in where:
                        if name in ("ps_number", "psNumber"):
                            where[name] = "PS11750057"
                        elif name in ("model_number", "modelNumber"):
                            where[name] = "WDT780SAEM1"
        authorization = None if key == "none" else f"Bearer {platform.raw_key if key == 'good' else 'pk_wrong'}"
        return case_send(client, case, headers={"Authorization": authorization})

    outcome = schema_fuzz(
        document,
        cases_per_operation=CASES_PER_OPERATION,
        send=send,
        key=st.sampled_from(["good", "good", "good", "none", "wrong"]),
        honest=st.booleans(),
    )

    tracebacks = [r for r in caplog.records if r.levelno >= logging.ERROR]
    print(f"gpt fuzz statuses {dict(sorted(outcome.statuses.items()))}")
    assert not outcome.server_errors, outcome.server_errors[:5]
    assert not tracebacks, [r.getMessage() for r in tracebacks[:5]]
    assert any(200 <= status < 300 for status in outcome.statuses), outcome.statuses
