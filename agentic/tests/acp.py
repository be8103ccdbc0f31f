"""What ACP tests send and check: the API version, request bodies and a client that checks every
answer against the published spec. Plain helpers (fixtures are in conftest.py)."""

import json
import uuid

from agentic.tests.spec import response_problems

API_VERSION = "2026-04-17"
ADDRESS = {
    "name": "Ann Example",
    "line_one": "1 Chat Road",
    "line_two": "",
    "city": "San Francisco",
    "state": "CA",
    "country": "US",
    "postal_code": "94131",
}


class AcpClient:
    """Calls the ACP API like an agent and checks every answer against the spec."""

    def __init__(self, client, key: str):
        self.client = client
        self.key = key
        self.responses = []

    def call(self, method, path, body=None, *, key=True, idempotency_key=None, headers=None, raw=None, check=True):
        extra = {"HTTP_API_VERSION": API_VERSION}
        if key:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.key if key is True else key}"
        if method == "POST" and idempotency_key is not False:
            extra["HTTP_IDEMPOTENCY_KEY"] = idempotency_key or str(uuid.uuid4())
        for name, value in (headers or {}).items():
            meta = "HTTP_" + name.upper().replace("-", "_")
            if value is None:
                extra.pop(meta, None)
            else:
                extra[meta] = value
        url = f"/acp{path}"
        if method == "GET":
            response = self.client.get(url, **extra)
        else:
            data = raw if raw is not None else (json.dumps(body) if body is not None else "")
            response = self.client.post(url, data=data, content_type="application/json", **extra)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if check:
            problems = response_problems(
                method=method, path=url, status=response.status_code, headers=response.headers, body=payload
            )
            assert not problems, f"{method} {url} → {response.status_code} breaks the spec: {problems}\n{payload}"
        response.data = payload
        self.responses.append(response)
        return response

    def create(self, body, **kwargs):
        return self.call("POST", "/checkout_sessions", body, **kwargs)

    def update(self, session_id, body, **kwargs):
        return self.call("POST", f"/checkout_sessions/{session_id}", body, **kwargs)

    def get(self, session_id, **kwargs):
        return self.call("GET", f"/checkout_sessions/{session_id}", **kwargs)

    def complete(self, session_id, body, **kwargs):
        return self.call("POST", f"/checkout_sessions/{session_id}/complete", body, **kwargs)

    def cancel(self, session_id, body=None, **kwargs):
        return self.call("POST", f"/checkout_sessions/{session_id}/cancel", body, **kwargs)


def payment(token="tok_test_visa", **extra):
    return {
        "payment_data": {
            "handler_id": "card_tokenized",
            "instrument": {"type": "card", "credential": {"type": "spt", "token": token}},
            "billing_address": ADDRESS,
        },
        **extra,
    }


def create_body(*items, address=True, **extra):
    body = {
        "currency": "usd",
        "line_items": [{"id": ps, "quantity": qty} for ps, qty in items] or [{"id": "PS11750057", "quantity": 1}],
        "capabilities": {"interventions": {"supported": ["3ds"]}},
        **extra,
    }
    if address:
        body["fulfillment_details"] = {"name": "Ann Example", "email": "ann@example.com", "address": ADDRESS}
    return body


def total(body, kind="total"):
    return next(t["amount"] for t in body["totals"] if t["type"] == kind)
