"""The offline assistant: deterministic rules over the shop's own catalogue.

Every fact it states (price, stock, compatibility, install steps, part numbers) is read from
the catalogue at the moment of the reply.
"""

from __future__ import annotations

import re

from django.conf import settings

from actions.services.selection import ActionProposal
from catalog import selectors as catalog
from catalog.serializers import product_card
from checkout import selectors as checkout_selectors
from conversations.assistant import intents, scope
from conversations.assistant.draft import Draft
from conversations.assistant.entities import Entities, extract


def _money(product) -> str:
    return f"{product.price:.2f} {product.currency}"


def _stock_phrase(product) -> str:
    if product.in_stock:
        return f"in stock ({product.stock_quantity} available)"
    if product.availability == "backordered":
        return "backordered"
    if product.availability == "discontinued":
        return "no longer available"
    return "out of stock"


class RulesEngine:
    name = "rules"

    def reply(self, *, text: str, context: dict, conversation_id: str = "") -> Draft:
        entities = extract(text)
        if _REFUND.search(text):
            return self._refund_request(text=text, conversation_id=conversation_id, entities=entities)
        reason = scope.refusal_reason(text, entities.appliance_types)
        if reason:
            return Draft(content=scope.refusal_text(reason), intent=intents.OUT_OF_SCOPE, entities=entities.as_dict())

        mentioned = [p for p in (catalog.product_get(ps_number=ps) for ps in entities.ps_numbers) if p is not None]
        unknown_ps = [ps for ps in entities.ps_numbers if not any(p.ps_number == ps for p in mentioned)]
        model = None
        for code in entities.codes:
            model = catalog.appliance_model_get(model_number=code)
            if model is not None:
                break
            by_mpn = catalog.product_get(ps_number=code)
            if by_mpn is not None and by_mpn not in mentioned:
                mentioned.append(by_mpn)

        # "this part", "it", "and the model?": fall back on what the conversation already established.
        product = mentioned[0] if mentioned else None
        if product is None and not unknown_ps and context.get("psNumber"):
            product = catalog.product_get(ps_number=context["psNumber"])
        if model is None and context.get("modelNumber"):
            model = catalog.appliance_model_get(model_number=context["modelNumber"])

        appliance_type = (
            next((t for t in entities.appliance_types if t in _scope_types()), None)
            or (model.appliance_type if model else None)
            or (product.appliance_type if product else None)
            or context.get("applianceType")
        )
        symptom = catalog.symptom_match(text=text, appliance_type=appliance_type)
        intent = intents.classify(text, has_part=product is not None, has_symptom=symptom is not None)

        if product is not None and not _in_scope(product.appliance_type):
            return Draft(
                content=scope.refusal_text("appliance"), intent=intents.OUT_OF_SCOPE, entities=entities.as_dict()
            )

        new_context = {
            key: value
            for key, value in {
                "psNumber": product.ps_number if product else None,
                "modelNumber": model.model_number if model else None,
                "applianceType": appliance_type,
                "brand": (model.brand if model else None) or (product.brand if product else None),
                "budget": entities.budget,
            }.items()
            if value
        }
        if unknown_ps and product is None:
            draft = self._unknown_part(unknown_ps)
        else:
            handler = getattr(self, f"_{intent}", self._search)
            draft = handler(
                text=text,
                product=product,
                model=model,
                entities=entities,
                symptom=symptom,
                appliance_type=appliance_type,
                context=context,
                conversation_id=conversation_id,
            )
        draft.intent = draft.intent or intent
        draft.entities = entities.as_dict()
        draft.context = {**new_context, **draft.context}
        return draft

    # --- intents ------------------------------------------------------------------

    def _compatibility(self, *, product, model, entities: Entities, appliance_type, **_):
        if product is None:
            return Draft(
                content="Which part do you mean? Send me its PS number (like PS11750057) and I'll check it against "
                + (f"your {model.model_number}." if model else "your model."),
                intent=intents.COMPATIBILITY,
            )
        if model is None:
            unknown = [c for c in entities.codes if c != product.manufacturer_part_number.upper()]
            if unknown:
                text = (
                    f"I couldn't find model {unknown[0]} in our catalogue. Please check the model number on the "
                    f"appliance's rating plate, and I'll check {product.ps_number} against it."
                )
            else:
                text = f"What's your appliance's model number? I'll check whether {product.ps_number} fits it."
            return Draft(content=text, intent=intents.COMPATIBILITY, parts=[product_card(product)])
        level, confidence = catalog.compatibility_check(product=product, appliance_model=model)
        name = f"{product.ps_number} ({product.name})"
        if level == "yes":
            text = f"Yes: {name} is compatible with {model.model_number}."
            if confidence < 1:
                text += f" Our fit confidence is {round(confidence * 100)}%."
        elif level == "no":
            text = f"No: {name} is not listed as compatible with {model.model_number}."
        else:
            text = f"I can't confirm that {name} fits {model.model_number}: we have no fit data for that pair."
        text += f" It costs {_money(product)} and is {_stock_phrase(product)}."
        proposals = [
            ActionProposal("checkout_now", {"psNumber": product.ps_number, "quantity": entities.quantity or 1}),
            ActionProposal(
                "check_compatible_alternatives",
                {
                    "psNumber": product.ps_number,
                    "modelNumber": model.model_number,
                    "applianceType": model.appliance_type,
                },
            )
            if level != "yes" or not product.in_stock
            else None,
            ActionProposal("notify_when_in_stock", {"psNumber": product.ps_number}) if not product.in_stock else None,
        ]
        return Draft(
            content=text,
            intent=intents.COMPATIBILITY,
            parts=[product_card(product)],
            proposals=[p for p in proposals if p],
        )

    def _install(self, *, product, **_):
        if product is None:
            return Draft(
                content="Which part are you installing? Send me its PS number and I'll walk you through it.",
                intent=intents.INSTALL,
            )
        lines = [f"How to install {product.ps_number} ({product.name}):"]
        if product.install_steps:
            lines += [f"{i}. {step}" for i, step in enumerate(product.install_steps, start=1)]
        else:
            lines.append("We don't have written steps for this part yet.")
        facts = []
        if product.install_difficulty:
            facts.append(f"Difficulty: {product.get_install_difficulty_display()}")
        if product.install_time_minutes:
            facts.append(f"Time: about {product.install_time_minutes} minutes")
        if product.install_tools:
            facts.append("Tools: " + ", ".join(product.install_tools))
        if facts:
            lines.append(". ".join(facts) + ".")
        return Draft(
            content="\n".join(lines),
            intent=intents.INSTALL,
            parts=[product_card(product)],
            proposals=self._buy_or_wait(product, 1),
        )

    def _price_stock(self, *, product, entities, **_):
        if product is None:
            return Draft(
                content="Which part? Send me its PS number and I'll check price and stock.", intent=intents.PRICE_STOCK
            )
        text = f"{product.ps_number} ({product.name}) costs {_money(product)} and is {_stock_phrase(product)}."
        if product.availability == "backordered":
            text += " I can tell you as soon as it's back."
        return Draft(
            content=text,
            intent=intents.PRICE_STOCK,
            parts=[product_card(product)],
            proposals=self._buy_or_wait(product, entities.quantity or 1),
        )

    def _product_info(self, *, product, entities, **_):
        text = f"{product.ps_number} is the {product.name} by {product.brand}, {_money(product)}, {_stock_phrase(product)}."
        return Draft(
            content=text,
            intent=intents.PRODUCT_INFO,
            parts=[product_card(product)],
            proposals=self._buy_or_wait(product, entities.quantity or 1),
        )

    def _purchase(self, *, product, entities, **_):
        if product is None:
            return Draft(content="Which part would you like to buy? Send me its PS number.", intent=intents.PURCHASE)
        quantity = entities.quantity or 1
        if not product.in_stock:
            text = (
                f"{product.ps_number} ({product.name}) is {_stock_phrase(product)} right now, so I can't check it out."
            )
        elif quantity > product.stock_quantity:
            text = f"We only have {product.stock_quantity} of {product.ps_number} in stock."
        else:
            text = (
                f"Great choice: {quantity} × {product.ps_number} ({product.name}) at {_money(product)} each. "
                "Press Checkout now to pay securely."
            )
        return Draft(
            content=text,
            intent=intents.PURCHASE,
            parts=[product_card(product)],
            proposals=self._buy_or_wait(product, quantity),
        )

    def _alternatives(self, *, product, model, appliance_type, **_):
        alternatives = catalog.compatible_alternatives(
            product=product, appliance_model=model, appliance_type=appliance_type, limit=3
        )
        if not alternatives:
            return Draft(
                content="I couldn't find alternatives for that in our catalogue. "
                "Tell me your model number and I'll look again.",
                intent=intents.ALTERNATIVES,
            )
        cards = [product_card(alt) for alt in alternatives]
        names = "; ".join(f"{alt.ps_number} ({alt.name}, {_money(alt)}, {_stock_phrase(alt)})" for alt in alternatives)
        subject = f" for {model.model_number}" if model else ""
        proposals = [self._buy_or_wait(alt, 1)[0] for alt in alternatives if alt.in_stock][:1]
        return Draft(
            content=f"Here are alternatives{subject}: {names}.",
            intent=intents.ALTERNATIVES,
            parts=cards,
            proposals=proposals,
        )

    def _notify_when_in_stock(self, *, product, entities, **_):
        if product is None:
            return Draft(content="Which part should I watch for you? Send me its PS number.", intent=intents.NOTIFY)
        if product.in_stock:
            return Draft(
                content=f"Good news: {product.ps_number} is {_stock_phrase(product)} now.",
                intent=intents.NOTIFY,
                parts=[product_card(product)],
                proposals=self._buy_or_wait(product, 1),
            )
        return Draft(
            content=f"{product.ps_number} is {_stock_phrase(product)}. Press the button and I'll tell you "
            "as soon as it's back.",
            intent=intents.NOTIFY,
            parts=[product_card(product)],
            proposals=[ActionProposal("notify_when_in_stock", {"psNumber": product.ps_number})],
        )

    def _troubleshoot(self, *, symptom, model, appliance_type, context, **_):
        if symptom is None:
            return Draft(
                content='Tell me what the appliance is doing (for example "ice maker not making ice" or '
                '"dishwasher not draining") and its model number, and I\'ll find the parts that fix it.',
                intent=intents.TROUBLESHOOT,
            )
        brand = (model.brand if model else None) or context.get("brand")
        parts = catalog.parts_for_symptom(
            symptom=symptom, appliance_type=appliance_type, brand=brand, appliance_model=model, limit=3
        )
        if not parts:
            return Draft(content=f'I don\'t have parts listed for "{symptom.name}" yet.', intent=intents.TROUBLESHOOT)
        lines = [f'For "{symptom.name}", these parts are the usual fix:']
        lines += [f"- {p.ps_number} {p.name} ({_money(p)}, {_stock_phrase(p)})" for p in parts]
        if model is None:
            lines.append("Tell me your model number and I'll confirm which one fits.")
        proposals = [self._buy_or_wait(p, 1)[0] for p in parts if p.in_stock][:1] if model else []
        return Draft(
            content="\n".join(lines),
            intent=intents.TROUBLESHOOT,
            parts=[product_card(p) for p in parts],
            proposals=proposals,
            context={"symptom": symptom.slug},
        )

    def _order_status(self, *, conversation_id, **_):
        orders = checkout_selectors.orders_for_conversation(conversation_id=conversation_id)
        if not orders:
            return Draft(content="I can't see an order placed in this conversation yet.", intent=intents.ORDER_STATUS)
        lines = [
            f"Order {o.number}: {o.get_status_display().lower()}, {o.total:.2f} {o.currency}, "
            f"placed {o.created_at:%d %b %Y}."
            for o in orders[:3]
        ]
        return Draft(content="\n".join(lines), intent=intents.ORDER_STATUS)

    def _refund_request(self, *, text, conversation_id, entities: Entities) -> Draft:
        """A refund is for an operator to decide: offer the button for this conversation's paid order."""
        orders = [
            o
            for o in checkout_selectors.orders_for_conversation(conversation_id=conversation_id)
            if o.status in ("paid", "partially_refunded") and o.refundable_amount > 0
        ]
        if not orders:
            return Draft(
                content="I can't see a paid order in this conversation to refund. If you ordered elsewhere, "
                "please contact us with your order number.",
                intent=REFUND_REQUEST,
                entities=entities.as_dict(),
            )
        order = orders[0]
        return Draft(
            content=f"I can ask our team to refund order {order.number} ({order.refundable_amount:.2f} "
            f"{order.currency}). Press Request a refund and a team member will review it; you'll get "
            "their answer here.",
            intent=REFUND_REQUEST,
            entities=entities.as_dict(),
            proposals=[ActionProposal("refund_request", {"orderNumber": order.number, "reason": text[:1000]})],
        )

    def _greeting(self, **_):
        return Draft(
            content=f"Hi! I can help with {scope.scope_label()} parts: checking a part fits your model, "
            "installing it, price and stock, and ordering it.",
            intent=intents.GREETING,
        )

    def _search(self, *, text, **_):
        results = catalog.product_search(query=text, limit=3) if len(text.strip()) >= 3 else []
        if not results:
            return Draft(content=scope.refusal_text("general"), intent=intents.UNKNOWN)
        lines = ["Here's what I found:"] + [
            f"- {p.ps_number} {p.name} ({_money(p)}, {_stock_phrase(p)})" for p in results
        ]
        return Draft(content="\n".join(lines), intent=intents.SEARCH, parts=[product_card(p) for p in results])

    def _unknown_part(self, unknown_ps: list[str]) -> Draft:
        return Draft(
            content=f"I couldn't find {', '.join(unknown_ps)} in our catalogue. Please check the number; "
            "PS numbers are on the part's packaging and in our listings.",
            intent=intents.PRODUCT_INFO,
        )

    @staticmethod
    def _buy_or_wait(product, quantity: int) -> list[ActionProposal]:
        if product.in_stock:
            return [ActionProposal("checkout_now", {"psNumber": product.ps_number, "quantity": quantity})]
        return [
            ActionProposal("notify_when_in_stock", {"psNumber": product.ps_number}),
            ActionProposal(
                "check_compatible_alternatives",
                {"psNumber": product.ps_number, "applianceType": product.appliance_type},
            ),
        ]


REFUND_REQUEST = "refund_request"
_REFUND = re.compile(r"\b(refund|money back|reimburse(ment)?|return (it|the part|my order)|charge ?back)\b", re.I)


def _scope_types() -> list[str]:
    return settings.PARLEY_SHOP_SCOPE


def _in_scope(appliance_type: str) -> bool:
    return appliance_type in _scope_types()
