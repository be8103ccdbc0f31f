"""Catalogue tools for a language model: JSON-schema definitions and their implementations.

Every tool reads the catalogue (or the shop's settings) through selectors; results are
small JSON-able dicts. The engine records which products each call returned, so the reply's
cards and actions come from the catalogue, not from the model's words.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings

from catalog import selectors as catalog
from catalog.search.text import tokens as search_tokens
from catalog.serializers import product_card, product_detail
from checkout import selectors as checkout_selectors
from conversations.assistant import meaning
from conversations.assistant.finder import parts_find
from conversations.assistant.identifiers import Mention, suggestions_for

TOOLS: list[dict] = [
    {
        "type": "function",
        "function": {
            "name": "search_parts",
            "description": "Search the shop's catalogue by words (part name, brand, appliance type). A model number, "
            "brand or appliance type is a hard filter: only parts listed for it are returned, and `empty_because` says "
            "which filter left nothing. `sort` is 'price' (cheapest first) or 'rating' (best rated first). Returns up "
            "to 5 parts with price, stock and a reason.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "appliance_type": {"type": "string"},
                    "brand": {"type": "string"},
                    "model_number": {"type": "string"},
                    "max_price": {"type": "number"},
                    "sort": {"type": "string", "enum": ["", "price", "rating"]},
                },
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_part",
            "description": "Full details of one part by PS number or manufacturer part number: price, stock, "
            "install steps, difficulty, time and tools.",
            "parameters": {
                "type": "object",
                "properties": {"ps_number": {"type": "string"}},
                "required": ["ps_number"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "check_compatibility",
            "description": "Whether a part fits an appliance model: yes / no / unknown with a confidence. A model "
            "number that is not in the catalogue returns an error with close catalogue numbers to offer as "
            "'did you mean', never to answer for.",
            "parameters": {
                "type": "object",
                "properties": {"ps_number": {"type": "string"}, "model_number": {"type": "string"}},
                "required": ["ps_number", "model_number"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "troubleshoot_symptom",
            "description": "The likely symptom for a problem description and the parts that fix it, filtered by "
            "brand, appliance type or model when given.",
            "parameters": {
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "appliance_type": {"type": "string"},
                    "brand": {"type": "string"},
                    "model_number": {"type": "string"},
                },
                "required": ["description"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "find_alternatives",
            "description": "Alternative parts for a part and/or a model (in stock first), optionally under a price.",
            "parameters": {
                "type": "object",
                "properties": {
                    "ps_number": {"type": "string"},
                    "model_number": {"type": "string"},
                    "appliance_type": {"type": "string"},
                    "max_price": {"type": "number"},
                },
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "order_status",
            "description": "The orders placed in this conversation: payment status, fulfilment (unfulfilled, "
            "packed, shipped, delivered, cancelled) and, once shipped, carrier and tracking. Quote tracking "
            "exactly; never guess a date or a number it does not give.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "shop_policy",
            "description": "The shop's own text on returns, shipping, warranty, payment or how to reach a person, "
            "to quote as written. `question` is the customer's question; `topic` picks one directly.",
            "parameters": {
                "type": "object",
                "properties": {"question": {"type": "string"}, "topic": {"type": "string"}},
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "delivery_info",
            "description": "The shop's delivery and shipping terms.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
]


class ToolBox:
    """Runs tool calls for one reply and remembers the products they returned."""

    def __init__(self, *, conversation_id: str):
        self.conversation_id = conversation_id
        self.products: list = []  # in the order the tools returned them
        self.compatibility: dict[str, str] = {}  # psNumber → level for the asked model
        self.calls: list[str] = []

    def _touch(self, product) -> None:
        if product is not None and all(p.pk != product.pk for p in self.products):
            self.products.append(product)

    def run(self, name: str, arguments: str) -> str:
        self.calls.append(name)
        handler: Callable | None = getattr(self, f"_tool_{name}", None)
        if handler is None:
            return json.dumps({"error": f"unknown tool {name}"})
        try:
            args = json.loads(arguments or "{}")
            if not isinstance(args, dict):
                raise ValueError("arguments must be an object")
        except ValueError:
            return json.dumps({"error": "arguments are not valid JSON"})
        try:
            return json.dumps(handler(**{k: v for k, v in args.items() if isinstance(k, str)}), default=str)
        except TypeError as exc:
            return json.dumps({"error": f"bad arguments: {exc}"})

    def _in_scope(self, product) -> bool:
        # A discontinued part of the shop's appliances can still be described ("no longer available").
        return product is not None and catalog.appliance_type_in_scope(appliance_type=product.appliance_type)

    def _tool_search_parts(
        self, query="", appliance_type=None, brand=None, model_number=None, max_price=None, sort="", **_
    ):
        model = catalog.appliance_model_get(model_number=str(model_number)) if model_number else None
        if model_number and model is None:
            return self._unknown_model(str(model_number))
        words = [w for w in search_tokens(str(query)[:200]) if w.isalpha()]
        result = parts_find(
            query=str(query)[:200],
            words=words,
            appliance_type=appliance_type if catalog.appliance_type_in_scope(appliance_type=appliance_type) else None,
            brand=None if model is not None else brand,
            appliance_model=model,
            budget=float(max_price) if isinstance(max_price, int | float) else None,
            sort=sort if sort in ("price", "rating") else "",
            limit=5,
        )
        for item in result.items:
            self._touch(item.product)
        return {
            "results": [{**product_card(i.product), "reason": i.reason} for i in result.items],
            "empty_because": result.empty_because or None,
        }

    @staticmethod
    def _unknown_model(model_number: str) -> dict:
        offers = suggestions_for(Mention(text=model_number, start=0, end=len(model_number)))
        return {"error": "model not found", "model_number": model_number, "did_you_mean": offers, "level": "unknown"}

    def _tool_get_part(self, ps_number="", **_):
        product = catalog.product_get(ps_number=str(ps_number))
        if not self._in_scope(product):
            return {"error": "not found", "ps_number": ps_number}
        self._touch(product)
        detail = product_detail(product)
        detail["brand"] = product.brand
        return detail

    def _tool_check_compatibility(self, ps_number="", model_number="", **_):
        product = catalog.product_get(ps_number=str(ps_number))
        model = catalog.appliance_model_get(model_number=str(model_number))
        if not self._in_scope(product):
            return {"error": "part not found", "ps_number": ps_number}
        self._touch(product)
        if model is None:
            return self._unknown_model(str(model_number))
        level, confidence = catalog.compatibility_check(product=product, appliance_model=model)
        self.compatibility[product.ps_number] = level
        return {
            "psNumber": product.ps_number,
            "modelNumber": model.model_number,
            "level": level,
            "confidence": confidence,
        }

    def _tool_troubleshoot_symptom(self, description="", appliance_type=None, brand=None, model_number=None, **_):
        model = catalog.appliance_model_get(model_number=str(model_number)) if model_number else None
        if model_number and model is None:
            return self._unknown_model(str(model_number))
        appliance_type = model.appliance_type if model is not None else appliance_type
        # The same reading of the customer's words as the offline engine's (meaning, not keywords).
        meaning.new_message()
        symptom = meaning.symptom_find(str(description)[:500], appliance_type=appliance_type).symptom
        if symptom is None:
            return {"symptom": None, "parts": []}
        parts = catalog.parts_for_symptom(
            symptom=symptom, appliance_type=appliance_type, brand=brand, appliance_model=model, limit=3
        )
        for part in parts:
            self._touch(part)
        return {"symptom": symptom.name, "parts": [product_card(p) for p in parts]}

    def _tool_find_alternatives(self, ps_number=None, model_number=None, appliance_type=None, max_price=None, **_):
        product = catalog.product_get(ps_number=str(ps_number)) if ps_number else None
        model = catalog.appliance_model_get(model_number=str(model_number)) if model_number else None
        alternatives = catalog.compatible_alternatives(
            product=product, appliance_model=model, appliance_type=appliance_type, limit=10
        )
        if isinstance(max_price, int | float):
            alternatives = [a for a in alternatives if float(a.price) <= max_price]
        alternatives = [a for a in alternatives if catalog.product_is_sellable(product=a)][:3]
        for alt in alternatives:
            self._touch(alt)
        return {"alternatives": [{**product_card(a), "confidence": a.confidence} for a in alternatives]}

    def _tool_order_status(self, **_):
        orders = checkout_selectors.orders_for_conversation(conversation_id=self.conversation_id)
        return {
            "orders": [
                {
                    "number": o.number,
                    "status": o.get_status_display(),
                    "total": f"{o.total:.2f}",
                    "currency": o.currency,
                    "placed": o.created_at.date().isoformat(),
                    "fulfilment": o.get_fulfilment_status_display(),
                    **(
                        {
                            "carrier": o.carrier,
                            "trackingNumber": o.tracking_number,
                            "trackingUrl": o.tracking_url or None,
                            "shipped": o.shipped_at.date().isoformat() if o.shipped_at else None,
                            "delivered": o.delivered_at.date().isoformat() if o.delivered_at else None,
                        }
                        if o.tracking_number
                        else {}
                    ),
                }
                for o in orders[:5]
            ]
        }

    def _tool_shop_policy(self, question="", topic="", **_):
        policy, _ = meaning.policy_find(str(question)[:500], topic=str(topic or "")[:40])
        if policy is None:
            return {"policy": None}
        return {"topic": policy.topic, "title": policy.title, "text": policy.text}

    def _tool_delivery_info(self, **_):
        return {
            "dispatch": settings.PARLEY_DELIVERY_DISPATCH or None,
            "standard": settings.PARLEY_DELIVERY_STANDARD or None,
            "express": settings.PARLEY_DELIVERY_EXPRESS or None,
            "freeShippingOver": settings.PARLEY_FREE_SHIPPING_OVER or None,
            "currency": settings.PARLEY_CURRENCY,
        }
