"""The MCP server through the official SDK's own client, over Streamable HTTP, against a live Daphne.

A platform key is issued in the stack's database; the client lists the tools and resources,
calls every tool, pays the checkout link a tool returned on the test provider's page, and sees
the order (attributed `mcp:<platform>`) through the order_status tool. A wrong or missing key
never reaches a tool.
"""

import asyncio
import json
import re
from decimal import Decimal

import httpx
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from checkout.testing import TEST_CHECKOUT_FORM

TOOLS = {
    "search_parts",
    "get_part",
    "check_compatibility",
    "troubleshoot_symptom",
    "list_parts_for_model",
    "create_checkout",
    "order_status",
    "subscribe_back_in_stock",
}


def platform_key(stack, slug: str) -> str:
    out = stack.run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from agentic.models import AgentPlatform; from agentic.services.auth import api_key_issue; "
        f"p = AgentPlatform.objects.create(name='{slug}', slug='{slug}'); print(api_key_issue(platform=p)[1])",
    )
    return out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def mcp_key(live_sqlite):
    return platform_key(live_sqlite, "claude")


def mcp_client(stack, key: str | None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    http = httpx2.AsyncClient(headers=headers, timeout=30)
    return Client(streamable_http_client(stack.url("/mcp/"), http_client=http))


def answer(result: CallToolResult) -> dict:
    assert not result.is_error, result.content
    data = json.loads(result.content[0].text)
    assert data == result.structured_content
    return data


def refusal(result: CallToolResult) -> dict:
    assert result.is_error
    error = result.structured_content["error"]
    assert result.content[0].text.startswith(f"{error['code']}: ")
    return error


def pay(stack, checkout_url: str) -> None:
    http = httpx.Client(timeout=30)
    page = http.get(checkout_url)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    paid = http.post(
        checkout_url,
        data={**TEST_CHECKOUT_FORM, "outcome": "pay", "csrfmiddlewaretoken": token},
        headers={"Referer": checkout_url},
    )
    assert paid.status_code == 302, paid.text


def test_every_tool_through_the_sdk_client_and_an_order_paid_through_the_link(live_sqlite, mcp_key):
    stack = live_sqlite

    async def session():
        async with mcp_client(stack, mcp_key) as client:
            listed = await client.list_tools()
            tools = {tool.name: tool for tool in listed.tools}
            assert set(tools) == TOOLS
            for tool in tools.values():
                assert len(tool.description) > 80, tool.name  # written for a model to read
                assert tool.input_schema["type"] == "object"
            assert tools["check_compatibility"].input_schema["required"] == ["ps_number", "model_number"]
            assert tools["search_parts"].annotations.read_only_hint is True

            found = answer(await client.call_tool("search_parts", {"query": "PS11750057"}))
            assert found["results"][0]["psNumber"] == "PS11750057"
            part = answer(await client.call_tool("get_part", {"ps_number": "ps11750057"}))
            price = found["results"][0]["price"]
            assert (part["psNumber"], part["price"], part["inStock"]) == ("PS11750057", price, True)
            assert refusal(await client.call_tool("get_part", {"ps_number": "PS00000000"}))["code"] == (
                "product_not_found"
            )
            fit = answer(
                await client.call_tool(
                    "check_compatibility", {"ps_number": "PS11750057", "model_number": "WDT780SAEM1"}
                )
            )
            assert (fit["compatible"], fit["confidence"]) == ("yes", 1.0)
            listed_parts = answer(
                await client.call_tool("list_parts_for_model", {"model_number": "WDT780SAEM1", "limit": 3})
            )
            assert listed_parts["model"]["modelNumber"] == "WDT780SAEM1"
            assert "PS11750057" in {p["psNumber"] for p in listed_parts["parts"]} or listed_parts["count"] > 3
            assert refusal(await client.call_tool("list_parts_for_model", {"model_number": "NOPE123"}))["code"] == (
                "appliance_model_not_found"
            )
            fix = answer(
                await client.call_tool(
                    "troubleshoot_symptom", {"description": "my ice maker is not making ice", "brand": "Whirlpool"}
                )
            )
            assert fix["symptom"] and fix["parts"]
            assert all(p["type"] == "product_card" for p in fix["parts"])

            too_long = refusal(await client.call_tool("search_parts", {"query": "x" * 500}))
            assert too_long["code"] == "invalid" and "query" in too_long["detail"]
            assert refusal(await client.call_tool("get_part", {}))["code"] == "invalid"

            checkout = answer(
                await client.call_tool(
                    "create_checkout",
                    {
                        "items": [{"ps_number": "PS11750057", "quantity": 2}],
                        "email": "ann@example.com",
                        "idempotency_key": "claude-turn-7",
                    },
                )
            )
            assert checkout["checkoutUrl"] == stack.url(f"/checkout/test/{checkout['sessionId']}/")
            total = f"{2 * Decimal(price):.2f}"
            assert (checkout["total"], checkout["currency"]) == (total, "USD")
            retried = answer(
                await client.call_tool(
                    "create_checkout",
                    {
                        "items": [{"ps_number": "PS11750057", "quantity": 2}],
                        "email": "ann@example.com",
                        "idempotency_key": "claude-turn-7",
                    },
                )
            )
            assert retried["sessionId"] == checkout["sessionId"]
            before = answer(await client.call_tool("order_status", {"checkout_id": checkout["sessionId"]}))
            assert (before["checkout"]["status"], before["order"]) == ("open", None)

            await asyncio.to_thread(pay, stack, checkout["checkoutUrl"])

            after = answer(await client.call_tool("order_status", {"checkout_id": checkout["sessionId"]}))
            assert after["checkout"]["status"] == "complete"
            order = after["order"]
            assert (order["status"], order["total"], order["currency"]) == ("paid", total, "USD")
            by_number = answer(await client.call_tool("order_status", {"order_number": order["number"]}))
            assert by_number["order"]["number"] == order["number"]
            assert refusal(await client.call_tool("order_status", {"order_number": "ORD-NOPE"}))["code"] == (
                "order_not_found"
            )

            alert = answer(
                await client.call_tool(
                    "subscribe_back_in_stock", {"ps_number": "PS13923912", "email": "bob@example.com"}
                )
            )
            assert (alert["status"], alert["psNumber"]) == ("pending", "PS13923912")
            in_stock = refusal(
                await client.call_tool(
                    "subscribe_back_in_stock", {"ps_number": "PS11750057", "email": "bob@example.com"}
                )
            )
            assert in_stock["code"] == "product_in_stock"

            resources = await client.list_resources()
            assert "parley://policies" in {str(r.uri) for r in resources.resources}
            policies = json.loads((await client.read_resource("parley://policies")).contents[0].text)
            topics = {p["topic"] for p in policies}
            assert "returns" in topics
            returns = (await client.read_resource("parley://policies/returns")).contents[0].text
            assert returns.startswith("# ")
            return order, checkout["sessionId"]

    async def other_platform(order, session_id):
        async with mcp_client(stack, platform_key(stack, "gemini")) as client:
            assert refusal(await client.call_tool("order_status", {"checkout_id": session_id}))["code"] == "not_found"
            assert refusal(await client.call_tool("order_status", {"order_number": order["number"]}))["code"] == (
                "order_not_found"
            )

    order, session_id = asyncio.run(session())
    asyncio.run(other_platform(order, session_id))  # another platform does not see what this one sold
    attributed = stack.run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from checkout.models import Order; "
        "print([(o.number, o.channel, o.order_source) for o in Order.objects.filter(channel__startswith='mcp:')])",
    )
    assert attributed.strip() == str([(order["number"], "mcp:claude", "agentic")])


@pytest.mark.parametrize("key", [None, "acp_not_a_key"])
def test_a_missing_or_wrong_key_is_refused_before_any_tool(live_sqlite, key):
    async def session():
        async with mcp_client(live_sqlite, key) as client:
            await client.list_tools()

    with pytest.raises(ExceptionGroup) as refused:
        asyncio.run(session())
    assert refused.group_contains(MCPError, match="error response")  # the client got no answer, only the 401
    raw = httpx.post(
        live_sqlite.url("/mcp/"),
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Authorization": f"Bearer {key}"} if key else {},
    )
    assert raw.status_code == 401
    assert raw.headers["WWW-Authenticate"].startswith("Bearer")
    assert raw.json()["error"]["code"] == ("unauthorized" if key is None else "invalid_api_key")


def test_a_host_outside_allowed_hosts_is_refused_before_the_key_is_looked_at(live_sqlite, mcp_key):
    raw = httpx.post(
        live_sqlite.url("/mcp/"),
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Authorization": f"Bearer {mcp_key}", "Host": "evil.example"},
    )
    assert (raw.status_code, raw.json()["error"]["code"]) == (400, "invalid_request")
