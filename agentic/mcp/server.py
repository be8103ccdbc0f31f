"""The MCP server's tools and resources as a model reads them: names, descriptions, JSON schemas.

Each tool is a thin async shell: it runs the matching function of `agentic.mcp.tools` in Django's
database thread and frames the answer as MCP. A refusal is an MCP tool error (`isError: true`)
whose text starts with the stable code (`product_not_found: No part …`) and whose
`structuredContent` is Parley's usual `{"error": {"code", "detail", "fields"}}`; anything
unexpected is logged and answered `internal_error`, never a stack trace.
"""

import json
import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Annotated

from channels.db import database_sync_to_async
from django.conf import settings
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from agentic.error_codes import AcpErrorCode
from agentic.mcp import tools
from agentic.models import AgentPlatform
from core.error_codes import CoreErrorCode
from core.exceptions import ApplicationError
from core.unavailable import DETAIL, service_unavailable, unavailable_logged

logger = logging.getLogger(__name__)

# Set by the ASGI door (agentic/mcp/asgi.py) once the request's API key is checked; every tool
# call of that request runs in a task started under it.
current_platform: ContextVar[AgentPlatform | None] = ContextVar("mcp_platform", default=None)
current_client_ip: ContextVar[str] = ContextVar("mcp_client_ip", default="")

PS_NUMBER = Annotated[
    str, Field(min_length=1, max_length=64, description="The part's PS number (e.g. PS11750057) or maker's number.")
]
MODEL_NUMBER = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="The appliance's model number as printed on its label (e.g. WDT780SAEM1).",
    ),
]
EMAIL = Annotated[
    str,
    Field(
        min_length=3,
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="The user's email address.",
    ),
]


class CheckoutLine(BaseModel):
    ps_number: PS_NUMBER
    quantity: Annotated[int, Field(ge=1, le=1000, description="How many (default 1).")] = 1


def _ok(answer: dict) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(answer, ensure_ascii=False, default=str))],
        structured_content=answer,
    )


def _refusal(code: str, detail: str, fields: dict | None = None) -> CallToolResult:
    body = {"error": {"code": str(code), "detail": detail, "fields": fields or {}}}
    return CallToolResult(
        content=[TextContent(type="text", text=f"{code}: {detail}")], structured_content=body, is_error=True
    )


async def _call(name: str, fn: Callable[..., dict], **arguments) -> CallToolResult:
    platform = current_platform.get()
    if platform is None:  # the ASGI door always sets it; a server used any other way has no caller
        return _refusal(AcpErrorCode.UNAUTHORIZED, "Authorization: Bearer <API key> is required.")
    try:
        answer = await database_sync_to_async(fn)(platform=platform, **arguments)
    except ApplicationError as exc:
        return _refusal(exc.code, exc.detail, exc.fields)
    except Exception as exc:
        if service_unavailable(exc):
            unavailable_logged(exc, f"MCP tool {name}")
            return _refusal(AcpErrorCode.SERVICE_UNAVAILABLE, DETAIL)
        logger.exception("MCP tool %s failed", name)
        return _refusal(AcpErrorCode.INTERNAL_ERROR, "Something went wrong on our side; nothing was changed. Retry.")
    return _ok(answer)


async def _coded_sdk_refusals(ctx, call_next):
    """The SDK refuses arguments outside a tool's schema (and unknown tools) itself, with its own
    text and no code: give those refusals the same shape as ours, code `invalid`."""
    result = await call_next(ctx)
    # Here the result is already its wire form (a dict with camelCase keys).
    if (
        ctx.method == "tools/call"
        and isinstance(result, dict)
        and result.get("isError")
        and result.get("structuredContent") is None
    ):
        texts = [block.get("text", "") for block in result.get("content") or [] if isinstance(block, dict)]
        detail = " ".join(t for t in texts if t).strip()
        return _refusal(CoreErrorCode.INVALID, detail or "The arguments do not fit the tool's input schema.")
    return result


_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)


def _instructions() -> str:
    shop = settings.PARLEY_SHOP_NAME
    scope = " and ".join(settings.PARLEY_SHOP_SCOPE)
    return (
        f"{shop} sells {scope} parts. Use these tools to find parts, check that a part fits the user's "
        "appliance model, troubleshoot a problem, give the user a checkout link, follow an order and sign "
        "the user up for a back-in-stock email. Prices, stock and fit come only from these tools: never "
        "guess them. The shop's policies (returns, shipping, warranty, …) are resources under "
        "parley://policies/."
    )


def mcp_server_build() -> MCPServer:
    """The server with every tool and resource; one per process (it holds no request state)."""
    server = MCPServer(
        name="parley",
        title=settings.PARLEY_SHOP_NAME,
        instructions=_instructions(),
        version="1.0.0",
        middleware=[_coded_sdk_refusals],
    )

    @server.tool(title="Search parts", annotations=_READ)
    async def search_parts(
        query: Annotated[
            str,
            Field(
                min_length=1,
                max_length=200,
                description="What the user is looking for: a PS number, a maker's part number, an appliance model "
                "number, or words ('dishwasher upper rack wheel', 'ice maker not working').",
            ),
        ],
        limit: Annotated[int, Field(ge=1, le=20, description="How many parts to return (1-20).")] = 5,
    ) -> CallToolResult:
        """Search the parts catalogue. An exact PS number or part number returns that part; a model number
        returns parts that fit it; words return the best matches. Each result has price, currency and stock.
        Call this first when the user has not named an exact part."""
        return await _call("search_parts", tools.search_parts, query=query.strip(), limit=limit)

    @server.tool(title="Get a part", annotations=_READ)
    async def get_part(ps_number: PS_NUMBER) -> CallToolResult:
        """Full details of one part: price, stock quantity, description, brand, appliance type and how to
        install it (steps, difficulty, time, tools). Use it to answer questions about a specific part."""
        return await _call("get_part", tools.get_part, ps_number=ps_number)

    @server.tool(title="Check compatibility", annotations=_READ)
    async def check_compatibility(ps_number: PS_NUMBER, model_number: MODEL_NUMBER) -> CallToolResult:
        """Whether a part fits the user's appliance model: `compatible` is yes, no or unknown, with a
        confidence from 0 to 1. Always check before recommending a part for a model, and say 'unknown'
        honestly. An unknown part is an error; an unknown model answers unknown."""
        return await _call(
            "check_compatibility", tools.check_compatibility, ps_number=ps_number, model_number=model_number
        )

    @server.tool(title="Troubleshoot a symptom", annotations=_READ)
    async def troubleshoot_symptom(
        description: Annotated[
            str,
            Field(
                min_length=1,
                max_length=500,
                description="The problem in the user's words, e.g. 'ice maker not making ice'.",
            ),
        ],
        appliance_type: Annotated[str, Field(max_length=40, description="refrigerator or dishwasher, if known.")] = "",
        brand: Annotated[str, Field(max_length=60, description="The appliance's brand, if known.")] = "",
        model_number: Annotated[str, Field(max_length=64, description="The appliance's model number, if known.")] = "",
    ) -> CallToolResult:
        """The likely cause of a problem the user describes and the parts that usually fix it (best first,
        in stock first), narrowed to the brand, appliance type or model when given. `symptom` is null when
        the description matches no known problem: ask the user for more detail."""
        return await _call(
            "troubleshoot_symptom",
            tools.troubleshoot_symptom,
            description=description,
            appliance_type=appliance_type,
            brand=brand,
            model_number=model_number,
        )

    @server.tool(title="List parts for a model", annotations=_READ)
    async def list_parts_for_model(
        model_number: MODEL_NUMBER,
        limit: Annotated[int, Field(ge=1, le=100, description="Page size (1-100).")] = 20,
        offset: Annotated[int, Field(ge=0, le=100_000, description="Parts to skip (for the next page).")] = 0,
    ) -> CallToolResult:
        """The parts that fit an appliance model, in stock first, each with its fit confidence; `count` is
        how many fit in all (page with offset). An unknown model number is an error."""
        return await _call(
            "list_parts_for_model", tools.list_parts_for_model, model_number=model_number, limit=limit, offset=offset
        )

    @server.tool(
        title="Create a checkout link",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False),
    )
    async def create_checkout(
        items: Annotated[list[CheckoutLine], Field(min_length=1, max_length=20, description="The parts to buy.")],
        email: Annotated[
            str, Field(max_length=254, description="The user's email for the receipt, if they gave it.")
        ] = "",
        discount_code: Annotated[str, Field(max_length=40, description="A discount code the user gave, if any.")] = "",
        idempotency_key: Annotated[
            str,
            Field(
                max_length=200,
                description="Optional: the same key on a retry returns the same checkout instead of a second one.",
            ),
        ] = "",
    ) -> CallToolResult:
        """Creates a secure checkout for the parts and quantities and returns `checkoutUrl`, the total and
        when the link expires. Call it only after the user confirmed the parts, quantities and total. Give
        the user the link to pay; you cannot pay for them. An out-of-stock part is refused: offer the
        back-in-stock alert instead. Follow it with order_status."""
        return await _call(
            "create_checkout",
            tools.create_checkout,
            items=[line.model_dump() for line in items],
            email=email,
            discount_code=discount_code,
            idempotency_key=idempotency_key,
        )

    @server.tool(title="Order status", annotations=_READ)
    async def order_status(
        checkout_id: Annotated[str, Field(max_length=64, description="The sessionId create_checkout returned.")] = "",
        order_number: Annotated[str, Field(max_length=32, description="The order number, if the user has it.")] = "",
    ) -> CallToolResult:
        """Where a checkout you created stands (open, complete, expired, failed) and, once paid, its order:
        number, status (paid, refunded, …), total, delivery (fulfilment: unfulfilled, packed, shipped,
        delivered, cancelled; carrier and tracking once shipped) and the user's order page. Give checkout_id or
        order_number. Only checkouts and orders made through this connection are visible."""
        return await _call("order_status", tools.order_status, checkout_id=checkout_id, order_number=order_number)

    @server.tool(
        title="Back-in-stock alert",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True),
    )
    async def subscribe_back_in_stock(ps_number: PS_NUMBER, email: EMAIL) -> CallToolResult:
        """Signs the user's email up for one message when an out-of-stock part is available again. Ask for
        the email and permission first. The user may have to confirm by a link in an email (status
        `pending`). A part in stock is refused: offer create_checkout instead."""
        return await _call(
            "subscribe_back_in_stock",
            tools.subscribe_back_in_stock,
            ps_number=ps_number,
            email=email,
            ip=current_client_ip.get(),
        )

    @server.resource(
        "parley://policies",
        name="policies",
        title="Shop policies",
        description="Every policy of the shop (returns, shipping, warranty, payment, contact) as the shop "
        "wrote it: quote it, do not paraphrase it into promises.",
        mime_type="application/json",
    )
    async def policies() -> str:
        return json.dumps(await database_sync_to_async(tools.shop_policies)(), ensure_ascii=False)

    @server.resource(
        "parley://policies/{topic}",
        name="policy",
        title="One shop policy",
        description="One policy by topic (the topics are listed in parley://policies).",
        mime_type="text/markdown",
    )
    async def policy(topic: str) -> str:
        try:
            found = await database_sync_to_async(tools.shop_policy)(topic=topic)
        except ApplicationError as exc:
            raise ResourceNotFoundError(exc.detail) from None
        return f"# {found['title']}\n\n{found['text']}\n"

    return server
