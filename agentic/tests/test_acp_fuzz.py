"""Schema-driven fuzzing: schemathesis generates requests from the ACP spec; no answer is a 5xx,
and every answer conforms to the spec. Bounded (a fixed number of cases per operation, no
deadline, derandomized) and in-process through Django's test client."""

import copy
import json
import uuid

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentic.tests.acp import API_VERSION, create_body
from agentic.tests.spec import response_problems, spec_document

pytestmark = pytest.mark.django_db

CASES_PER_OPERATION = 60  # 5 operations: 300 requests


def test_generated_requests_never_get_a_5xx_and_always_conform(acp, platform):
    real_ids = [acp.create(create_body(("PS11750058", 1))).data["id"] for _ in range(3)]
    schema = schemathesis.openapi.from_dict(copy.deepcopy(spec_document()))
    client = Client()
    failures, seen = [], {}

    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=CASES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=operation.as_strategy(),
            honest=st.sampled_from(["all", "all", "all", "auth", "none"]),
            pick=st.integers(0, 2),
        )
        def run(case, honest, pick):
            if "checkout_session_id" in (case.path_parameters or {}) and honest != "none":
                case.path_parameters["checkout_session_id"] = real_ids[pick]
            kwargs = case.as_transport_kwargs(base_url="")
            headers = {k: v for k, v in kwargs["headers"].items() if isinstance(v, str)}
            if honest in ("all", "auth"):
                headers["Authorization"] = f"Bearer {platform.raw_key}"
            if honest == "all":
                headers["API-Version"] = API_VERSION
                if case.method.upper() == "POST":
                    headers["Idempotency-Key"] = str(uuid.uuid4())
            meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items() if k.lower() != "content-type"}
            path = "/acp" + case.formatted_path
            if case.method.upper() == "GET":
                response = client.get(path, **meta)
            else:
                body = kwargs.get("json")
                data = json.dumps(body) if body is not None else ""
                response = client.post(path, data=data, content_type="application/json", **meta)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            try:
                payload = response.json()
            except ValueError:
                payload = None
            if response.status_code >= 500:
                failures.append((case.method, path, response.status_code, kwargs.get("json"), payload))
                return
            problems = response_problems(
                method=case.method, path=path, status=response.status_code, headers=response.headers, body=payload
            )
            if problems:
                failures.append((case.method, path, response.status_code, kwargs.get("json"), problems))

        run()

    print("fuzz statuses", dict(sorted(seen.items())))
    assert not failures, failures[:5]
    assert sum(seen.values()) >= 5 * 20
    assert any(200 <= status < 300 for status in seen), seen  # the honest cases reach the business logic
