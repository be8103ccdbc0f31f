"""The `/mcp/` door's answers to what is not a tool call, through the ASGI app (no live server).

The server is stateless and answers in JSON, so it never speaks first: a GET used to be held open
by the SDK as an event stream nothing was ever written to (one connection per request, for as
long as the client liked), found by the outside attack run. Any method but POST is a 405 now.
"""

import asyncio

import httpx
import pytest

from agentic.mcp.asgi import WithMcpDoor


async def _never_django(scope, receive, send):  # the door must answer /mcp itself
    raise AssertionError(f"{scope['path']} reached Django")


def _request(method: str, path: str, **headers) -> httpx.Response:
    async def go():
        transport = httpx.ASGITransport(app=WithMcpDoor(_never_django))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            # The old door never answered a GET: the bound turns that hang into a failure.
            return await asyncio.wait_for(client.request(method, path, headers=headers), timeout=30)

    return asyncio.run(go())


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT", "OPTIONS"])
@pytest.mark.parametrize("path", ["/mcp", "/mcp/"])
def test_anything_but_post_is_a_405_at_once_even_with_an_event_stream_asked_for(method, path):
    response = _request(method, path, accept="text/event-stream", authorization="Bearer acp_whatever")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.json()["error"]["code"] == "method_not_allowed"
