"""ACP and MCP with the database gone (the outside chaos run: a 500 processing_error from ACP, a
traceback and a dropped request from the MCP door): the spec's 503 `service_unavailable` error,
and the MCP door's 503, both with Retry-After. The REST and socket doors: core/tests/test_service_unavailable.py."""

import httpx
import pytest
from asgiref.sync import async_to_sync

from agentic.mcp.asgi import WithMcpDoor


def _unavailable(response):
    assert response.status_code == 503, response.content[:300]
    assert response.headers["Retry-After"] == "5"


@pytest.mark.django_db
def test_acp_answers_the_specs_service_unavailable_error(acp, database_outage):
    database_outage()
    response = acp.create({"line_items": [{"id": "PS11750057", "quantity": 1}], "currency": "usd"})
    _unavailable(response)
    assert response.data["type"] == "service_unavailable"
    assert response.data["code"] == "service_unavailable"
    assert response["Idempotency-Key"]  # echoed on every POST answer (RFC §3.1), this one too


@pytest.mark.django_db(transaction=True)
def test_the_mcp_door_answers_503_when_the_key_cannot_be_checked(platform, database_outage):
    async def never_django(scope, receive, send):
        raise AssertionError("reached Django")

    async def call():
        transport = httpx.ASGITransport(app=WithMcpDoor(never_django))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return await http.post(
                "/mcp/",
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={"Authorization": f"Bearer {platform.raw_key}", "Accept": "application/json"},
            )

    database_outage()
    response = async_to_sync(call)()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "service_unavailable"
