"""What each MCP tool does, in plain synchronous Django: the catalogue, checkout, alerts and chat
services the other doors call, and nothing of their own (the MCP framing is in server.py).

Each function takes the calling platform and the tool's arguments and returns a JSON-able dict,
or raises an `ApplicationError` whose stable `code` the model sees in the tool error.
"""

import hashlib
import json

from agentic.models import AgentPlatform
from agentic.selectors import agent_order_status
from agentic.services.checkout_links import checkout_link_create
from alerts.services.subscriptions import back_in_stock_subscribe
from catalog import selectors as catalog
from catalog.exceptions import ApplianceModelNotFound, ProductNotFound
from catalog.serializers import appliance_model_summary, compatibility_answer, product_card, product_detail
from conversations.assistant.tools import ToolBox
from conversations.selectors import shop_policies_active
from core.error_codes import CoreErrorCode
from core.exceptions import NotFound
from core.ids import new_id


def channel_for(platform: AgentPlatform) -> str:
    """Orders sold through the MCP server are attributed `mcp:<platform slug>`."""
    return f"mcp:{platform.slug}"


def search_parts(*, platform: AgentPlatform, query: str, limit: int) -> dict:
    products = catalog.product_search(query=query, limit=limit)
    return {"query": query, "results": [{**product_card(p), "match": getattr(p, "match", "")} for p in products]}


def get_part(*, platform: AgentPlatform, ps_number: str) -> dict:
    product = catalog.product_get(ps_number=ps_number)
    if product is None:
        raise ProductNotFound(f"No part {ps_number} in the catalogue.")
    return product_detail(product)


def check_compatibility(*, platform: AgentPlatform, ps_number: str, model_number: str) -> dict:
    return compatibility_answer(ps_number=ps_number, model_number=model_number)


def list_parts_for_model(*, platform: AgentPlatform, model_number: str, limit: int, offset: int) -> dict:
    model = catalog.appliance_model_get(model_number=model_number)
    if model is None:
        raise ApplianceModelNotFound(f"No appliance model {model_number} in the catalogue.")
    count, parts = catalog.appliance_model_parts(appliance_model=model, limit=limit, offset=offset)
    return {
        "model": appliance_model_summary(model),
        "count": count,
        "parts": [{**product_card(p), "confidence": p.confidence} for p in parts],
    }


def troubleshoot_symptom(
    *, platform: AgentPlatform, description: str, appliance_type: str, brand: str, model_number: str
) -> dict:
    # The chat assistant's own tool: the same reading of the words and the same parts as the chat.
    arguments = {"description": description}
    arguments.update({k: v for k, v in (("appliance_type", appliance_type), ("brand", brand)) if v})
    if model_number:
        arguments["model_number"] = model_number
    answer = json.loads(ToolBox(conversation_id="").run("troubleshoot_symptom", json.dumps(arguments)))
    if answer.get("error"):
        raise ApplianceModelNotFound(
            f"No appliance model {model_number} in the catalogue.",
            fields={
                "model_number": [f"Did you mean: {', '.join(answer.get('did_you_mean') or []) or 'no close match'}"]
            },
        )
    return {"symptom": answer["symptom"], "parts": answer["parts"]}


def create_checkout(
    *, platform: AgentPlatform, items: list[dict], email: str, discount_code: str, idempotency_key: str
) -> dict:
    channel = channel_for(platform)
    if idempotency_key:
        # Scoped to the platform, so two platforms' keys never meet; hashed to fit the column.
        key = "mcp_" + hashlib.sha256(f"{platform.pk}:{idempotency_key}".encode()).hexdigest()[:40]
    else:
        key = new_id("mcp")  # no key: every call is a new checkout, as a GPT action's
    return checkout_link_create(
        channel=channel,
        items=[(item["ps_number"], item["quantity"]) for item in items],
        idempotency_key=key,
        email=email,
        discount_code=discount_code,
    )


def order_status(*, platform: AgentPlatform, checkout_id: str, order_number: str) -> dict:
    return agent_order_status(channel=channel_for(platform), checkout_id=checkout_id, order_number=order_number)


def subscribe_back_in_stock(*, platform: AgentPlatform, ps_number: str, email: str, ip: str) -> dict:
    result = back_in_stock_subscribe(ps_number=ps_number, channel="email", contact=email, ip=ip)
    # An address typed into a chat is not proven to be the user's: the same answer whether or not it
    # was subscribed already (as alerts' own API and the GPT action answer).
    return {
        "subscriptionId": result.subscription.id,
        "status": "pending",
        "psNumber": result.subscription.product.ps_number,
    }


def shop_policies() -> list[dict]:
    return [{"topic": p.topic, "title": p.title, "text": p.text} for p in shop_policies_active()]


def shop_policy(*, topic: str) -> dict:
    for policy in shop_policies():
        if policy["topic"] == topic:
            return policy
    raise NotFound(f"No policy {topic!r}.", code=CoreErrorCode.NOT_FOUND)
