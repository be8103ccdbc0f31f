"""The offline assistant: deterministic rules over the shop's own catalogue.

Every fact it states (price, stock, compatibility, install steps, part numbers, delivery
terms) is read from the catalogue or the shop's settings at the moment of the reply. It
understands misspellings (normalise.py), follow-ups that lean on the conversation ("it",
"the second one", "and the door gasket?"), the page's product context
(`context["page"]`), and remembers what it inferred in the conversation's context,
including the customer's preferences (brand, budget, model, appliance type, quantity).
"""

from __future__ import annotations

import re

from django.conf import settings

from actions.services.selection import ActionProposal
from catalog import selectors as catalog
from catalog.models import Compatibility
from catalog.search.engine import catalogue_vocabulary
from catalog.search.text import tokens as search_tokens
from catalog.serializers import product_card
from checkout import selectors as checkout_selectors
from conversations.assistant import intents, scope
from conversations.assistant.draft import Draft
from conversations.assistant.entities import Entities, extract
from conversations.assistant.normalise import normalise
from conversations.assistant.recommendations import recommend

# Words that name a whole appliance or are too generic to identify a part on their own.
_GENERIC_NAME_WORDS = frozenset(
    {"refrigerator", "dishwasher", "assembly", "kit", "door", "part", "upper", "lower", "main", "control", "water"}
)


def money(product) -> str:
    return f"{product.price:.2f} {product.currency}"


def stock_phrase(product) -> str:
    if product.in_stock:
        return f"in stock ({product.stock_quantity} available)"
    if product.availability == "backordered":
        return "backordered"
    if product.availability == "discontinued":
        return "no longer available"
    return "out of stock"


_money = money
_stock_phrase = stock_phrase


class Understanding:
    """What the engine read in one message, with the conversation's memory applied."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


class RulesEngine:
    name = "rules"

    # --- understanding ------------------------------------------------------------

    def understand(self, *, text: str, context: dict) -> Understanding:
        brands, name_terms, extra = _vocabulary()
        norm = normalise(text, extra_words=extra)
        entities = extract(norm, brands=brands)
        page = context.get("page") or {}

        mentioned = [p for p in (catalog.product_get(ps_number=ps) for ps in entities.ps_numbers) if p is not None]
        unknown_ps = [ps for ps in entities.ps_numbers if not any(p.ps_number == ps for p in mentioned)]
        model = None
        unknown_codes = []
        for code in entities.codes:
            found_model = catalog.appliance_model_get(model_number=code)
            if found_model is not None:
                model = model or found_model
                continue
            by_mpn = catalog.product_get(ps_number=code)
            if by_mpn is not None:
                if by_mpn not in mentioned:
                    mentioned.append(by_mpn)
            else:
                unknown_codes.append(code)
        model_from_message = model is not None
        if model is None and context.get("modelNumber"):
            model = catalog.appliance_model_get(model_number=context["modelNumber"])

        # Part words of the catalogue in the message ("door gasket", "water filter").
        words = search_tokens(norm)
        part_words = [w for w in words if w in name_terms and w not in _GENERIC_NAME_WORDS and w.isalpha()]
        part_words = [w for w in part_words if w.lower() not in {b.lower() for b in brands}]

        last_parts = [ps for ps in context.get("lastParts") or [] if ps]
        product = mentioned[0] if mentioned else None
        referenced = False
        if product is None and not unknown_ps:
            if entities.ordinal is not None and last_parts:
                index = entities.ordinal if entities.ordinal >= 0 else len(last_parts) - 1
                if index < len(last_parts):
                    product = catalog.product_get(ps_number=last_parts[index])
                    referenced = product is not None
            elif entities.cheapest and last_parts and intents.match(norm) != intents.ALTERNATIVES:
                shown = [p for p in (catalog.product_get(ps_number=ps) for ps in last_parts) if p]
                product = min(shown, key=lambda p: p.price) if shown else None
                referenced = product is not None
        appliance_type = (
            next((t for t in entities.appliance_types if t in _scope_types()), None)
            or (model.appliance_type if model_from_message and model else None)
            or (product.appliance_type if product else None)
            or context.get("applianceType")
            or (model.appliance_type if model else None)
        )
        brand = entities.brand or (model.brand if model_from_message and model else "") or context.get("brand") or ""
        symptom = catalog.symptom_match(text=norm, appliance_type=appliance_type)
        from_words = False
        if product is None and not unknown_ps and part_words and not referenced:
            remembered = catalog.product_get(ps_number=context.get("psNumber") or page.get("psNumber") or "")
            if remembered is not None and all(w in search_tokens(remembered.name) for w in part_words):
                product = remembered  # "the door gasket" is the one we were talking about
            else:
                product = self._part_by_words(norm, part_words, appliance_type, brand, model)
            referenced = product is not None
            from_words = referenced
        if product is None and not unknown_ps and not part_words:
            remembered = context.get("psNumber") or page.get("psNumber")
            if remembered:
                product = catalog.product_get(ps_number=remembered)
        if product is not None and not mentioned and appliance_type is None:
            appliance_type = product.appliance_type

        has_domain = bool(
            mentioned
            or unknown_ps
            or model_from_message
            or entities.appliance_types
            or entities.brand
            or part_words
            or symptom
            or (referenced and product)
            or (entities.pronoun and product is not None)
            or (entities.email or entities.phone)
            or entities.budget
        )
        intent = intents.classify(
            norm,
            has_part=bool(mentioned or (referenced and not from_words) or (entities.pronoun and product is not None)),
            has_symptom=symptom is not None,
            has_domain=has_domain or bool(intents.match(norm)),
            previous=context.get("lastIntent", ""),
            two_parts=len(mentioned) >= 2 or (entities.ordinal is not None and len(mentioned) == 1),
            part_words=bool(part_words) and not mentioned,
            budget=entities.budget is not None,
        )
        if (entities.email or entities.phone) and context.get("lastIntent") == intents.NOTIFY:
            intent = (
                intents.NOTIFY if intent in (intents.SEARCH, intents.OUT_OF_SCOPE, intents.PRODUCT_INFO) else intent
            )
        return Understanding(
            text=text,
            norm=norm,
            entities=entities,
            mentioned=mentioned,
            unknown_ps=unknown_ps,
            unknown_codes=unknown_codes,
            model=model,
            model_from_message=model_from_message,
            product=product,
            appliance_type=appliance_type,
            brand=brand,
            symptom=symptom,
            part_words=part_words,
            intent=intent,
            has_domain=has_domain,
            last_parts=last_parts,
        )

    @staticmethod
    def _part_by_words(norm, part_words, appliance_type, brand, model):
        query = " ".join(part_words + ([appliance_type] if appliance_type else []))
        candidates = [p for p in catalog.product_search(query=query, limit=40, semantic=False) if p.is_active]
        if appliance_type:
            candidates = [p for p in candidates if p.appliance_type == appliance_type]
        candidates = [p for p in candidates if getattr(p, "match", "") in ("all_terms",)] or []
        if not candidates:
            return None
        if model is not None:
            fit_ids = set(
                Compatibility.objects.filter(
                    appliance_model=model, product_id__in=[p.pk for p in candidates]
                ).values_list("product_id", flat=True)
            )
            candidates = [p for p in candidates if p.pk in fit_ids] or candidates
        if brand:
            candidates = [p for p in candidates if p.brand.lower() == brand.lower()] or candidates
        return candidates[0]

    def reply(self, *, text: str, context: dict, conversation_id: str = "") -> Draft:
        early = extract(text)
        reason = scope.refusal_reason(normalise(text), early.appliance_types)
        if reason == "injection":
            return Draft(content=scope.refusal_text(reason), intent=intents.OUT_OF_SCOPE, entities=early.as_dict())
        if _REFUND.search(text):
            return self._refund_request(text=text, conversation_id=conversation_id, entities=early)
        if reason:
            return Draft(content=scope.refusal_text(reason), intent=intents.OUT_OF_SCOPE, entities=early.as_dict())

        u = self.understand(text=text, context=context)
        entities = u.entities
        if u.product is not None and not _in_scope(u.product.appliance_type):
            return Draft(
                content=scope.refusal_text("appliance"), intent=intents.OUT_OF_SCOPE, entities=entities.as_dict()
            )
        if u.intent == intents.OUT_OF_SCOPE:
            return Draft(
                content=scope.refusal_text("general"), intent=intents.OUT_OF_SCOPE, entities=entities.as_dict()
            )

        if u.unknown_ps and u.product is None:
            draft = self._unknown_part(u.unknown_ps)
            draft.intent = u.intent if u.intent not in (intents.SEARCH, intents.OUT_OF_SCOPE) else intents.PRODUCT_INFO
        else:
            handler = getattr(self, f"_{u.intent}", self._search)
            draft = handler(u=u, context=context, conversation_id=conversation_id, **_legacy(u))
        draft.intent = draft.intent or u.intent
        draft.entities = self._entities_out(u)
        draft.context = {**self._memory(u, draft, context), **draft.context}
        return draft

    @staticmethod
    def _entities_out(u) -> dict:
        out = u.entities.as_dict()
        out.update(
            {
                "psNumber": u.product.ps_number if u.product else None,
                "modelNumber": u.model.model_number if u.model_from_message and u.model else None,
                "applianceType": u.appliance_type,
                "brand": u.brand or None,
                "symptom": u.symptom.slug if u.symptom else None,
            }
        )
        return out

    @staticmethod
    def _memory(u, draft: Draft, context: dict) -> dict:
        shown = [card["psNumber"] for card in draft.parts if card.get("psNumber")]
        preferences = dict(context.get("preferences") or {})
        for key, value in {
            "brand": u.entities.brand or (u.model.brand if u.model_from_message and u.model else None),
            "budget": u.entities.budget,
            "applianceType": u.appliance_type,
            "modelNumber": u.model.model_number if u.model else None,
            "quantity": u.entities.quantity,
            "contactChannel": "email" if u.entities.email else ("sms" if u.entities.phone else None),
        }.items():
            if value:
                preferences[key] = value
        memory = {
            "psNumber": (u.product.ps_number if u.product else None) or (shown[0] if len(shown) == 1 else None),
            "modelNumber": u.model.model_number if u.model else None,
            "applianceType": u.appliance_type,
            "brand": u.brand or None,
            "budget": u.entities.budget,
            "symptom": u.symptom.slug if u.symptom else None,
            "lastParts": shown or None,
            "lastIntent": draft.intent,
            "preferences": preferences or None,
            "contact": {"email": u.entities.email, "phone": u.entities.phone}
            if (u.entities.email or u.entities.phone)
            else None,
        }
        return {key: value for key, value in memory.items() if value}

    # --- intents ------------------------------------------------------------------

    def _compatibility(self, *, u, **_):
        product, model, entities = u.product, u.model, u.entities
        if product is None:
            return Draft(
                content="Which part do you mean? Send me its PS number (like PS11750057) and I'll check it against "
                + (f"your {model.model_number}." if model else "your model."),
                intent=intents.COMPATIBILITY,
            )
        if model is None:
            if u.unknown_codes:
                text = (
                    "I couldn't find that model number in our catalogue. Please check the model number on the "
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
        text += f" It costs {money(product)} and is {stock_phrase(product)}."
        proposals = [
            ActionProposal("checkout_now", {"psNumber": product.ps_number, "quantity": entities.quantity or 1})
            if level == "yes"
            else None,
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

    def _install(self, *, u, **_):
        product = u.product
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

    def _price_stock(self, *, u, **_):
        product = u.product
        if product is None:
            return Draft(
                content="Which part? Send me its PS number or manufacturer part number and I'll check price and stock.",
                intent=intents.PRICE_STOCK,
            )
        text = f"{product.ps_number} ({product.name}) costs {money(product)} and is {stock_phrase(product)}."
        quantity = u.entities.quantity
        if quantity and product.in_stock and quantity > product.stock_quantity:
            text += f" That's fewer than the {quantity} you asked for."
        return Draft(
            content=text,
            intent=intents.PRICE_STOCK,
            parts=[product_card(product)],
            proposals=self._buy_or_wait(product, min(quantity or 1, max(product.stock_quantity, 1))),
        )

    def _delivery(self, *, u, **_):
        product = u.product
        lines = []
        dispatch = settings.PARLEY_DELIVERY_DISPATCH
        standard = settings.PARLEY_DELIVERY_STANDARD
        express = settings.PARLEY_DELIVERY_EXPRESS
        free_over = settings.PARLEY_FREE_SHIPPING_OVER
        if product is not None:
            if product.in_stock:
                lines.append(f"{product.ps_number} ({product.name}) is {stock_phrase(product)}.")
            else:
                lines.append(
                    f"{product.ps_number} ({product.name}) is {stock_phrase(product)}, so it ships once it's back "
                    "in stock."
                )
        if not (dispatch or standard or express):
            lines.append("I don't have delivery times to quote; the checkout page shows the options for your address.")
        else:
            if dispatch:
                lines.append(dispatch.rstrip(".") + ".")
            if standard:
                lines.append(f"Standard delivery: {standard}.")
            if express:
                lines.append(f"Express delivery: {express}.")
            if free_over:
                lines.append(f"Shipping is free on orders over {free_over} {settings.PARLEY_CURRENCY}.")
        return Draft(
            content=" ".join(lines),
            intent=intents.DELIVERY,
            parts=[product_card(product)] if product else [],
            proposals=self._buy_or_wait(product, u.entities.quantity or 1) if product else [],
        )

    def _product_info(self, *, u, **_):
        product = u.product
        if product is None:
            return self._search(u=u)
        text = (
            f"{product.ps_number} is the {product.name} by {product.brand}, {money(product)}, {stock_phrase(product)}."
        )
        if u.model is not None:
            level, _ = catalog.compatibility_check(product=product, appliance_model=u.model)
            text += {
                "yes": f" It fits your {u.model.model_number}.",
                "no": f" It is not listed for your {u.model.model_number}.",
            }.get(level, "")
        return Draft(
            content=text,
            intent=intents.PRODUCT_INFO,
            parts=[product_card(product)],
            proposals=self._buy_or_wait(product, u.entities.quantity or 1),
        )

    def _purchase(self, *, u, **_):
        product = u.product
        if product is None:
            return Draft(content="Which part would you like to buy? Send me its PS number.", intent=intents.PURCHASE)
        quantity = u.entities.quantity or 1
        max_quantity = settings.PARLEY_MAX_QUANTITY
        proposals = self._buy_or_wait(product, min(quantity, max_quantity))
        if not product.in_stock:
            text = (
                f"{product.ps_number} ({product.name}) is {stock_phrase(product)} right now, so I can't check it out."
            )
        elif quantity > max_quantity:
            text = f"One order can hold at most {max_quantity} of a part; contact us for larger quantities."
            proposals = []
        elif quantity > product.stock_quantity:
            text = f"We only have {product.stock_quantity} of {product.ps_number} in stock."
            proposals = self._buy_or_wait(product, product.stock_quantity)
        else:
            text = (
                f"Great choice: {quantity} × {product.ps_number} ({product.name}) at {money(product)} each. "
                "Press Checkout now to pay securely."
            )
        if u.model is not None and product.in_stock:
            level, _ = catalog.compatibility_check(product=product, appliance_model=u.model)
            if level == "no":
                text = (
                    f"Before you buy: {product.ps_number} is not listed as compatible with your "
                    f"{u.model.model_number}. " + text
                )
                proposals = [
                    ActionProposal(
                        "check_compatible_alternatives",
                        {
                            "psNumber": product.ps_number,
                            "modelNumber": u.model.model_number,
                            "applianceType": u.model.appliance_type,
                        },
                    ),
                    *proposals,
                ]
        return Draft(content=text, intent=intents.PURCHASE, parts=[product_card(product)], proposals=proposals)

    def _alternatives(self, *, u, **_):
        product, model = u.product, u.model
        alternatives = catalog.compatible_alternatives(
            product=product, appliance_model=model, appliance_type=u.appliance_type, limit=10
        )
        cheaper_wanted = bool(re.search(r"\b(cheaper|less expensive|lower price|budget|cheapest)\b", u.norm, re.I))
        note = ""
        if cheaper_wanted and product is not None:
            cheaper = [alt for alt in alternatives if alt.price < product.price]
            if not cheaper:
                note = f" None is cheaper than {product.ps_number} ({money(product)}); these are the closest."
            else:
                alternatives = sorted(cheaper, key=lambda p: (not p.in_stock, p.price))
        if u.entities.budget is not None:
            within = [alt for alt in alternatives if float(alt.price) <= u.entities.budget]
            if within:
                alternatives = within
            else:
                note += f" None is within {u.entities.budget:.2f}."
        alternatives = alternatives[:3]
        if not alternatives:
            return Draft(
                content="I couldn't find alternatives for that in our catalogue. "
                "Tell me your model number and I'll look again.",
                intent=intents.ALTERNATIVES,
            )
        names = "; ".join(f"{alt.ps_number} ({alt.name}, {money(alt)}, {stock_phrase(alt)})" for alt in alternatives)
        subject = f" for {model.model_number}" if model else (f" to {product.ps_number}" if product else "")
        proposals = [self._buy_or_wait(alt, 1)[0] for alt in alternatives if alt.in_stock][:1]
        return Draft(
            content=f"Here are alternatives{subject}: {names}.{note}",
            intent=intents.ALTERNATIVES,
            parts=[product_card(alt) for alt in alternatives],
            proposals=proposals,
        )

    def _notify_when_in_stock(self, *, u, **_):
        product = u.product
        if product is None:
            return Draft(content="Which part should I watch for you? Send me its PS number.", intent=intents.NOTIFY)
        if product.in_stock:
            return Draft(
                content=f"Good news: {product.ps_number} is {stock_phrase(product)} now.",
                intent=intents.NOTIFY,
                parts=[product_card(product)],
                proposals=self._buy_or_wait(product, 1),
            )
        channel = "sms" if u.entities.phone and not u.entities.email else "email"
        contact = u.entities.email or u.entities.phone
        text = f"{product.ps_number} ({product.name}) is {stock_phrase(product)}. "
        text += (
            f"Press the button and I'll tell you at {contact} as soon as it's back."
            if contact
            else "Press the button and I'll tell you as soon as it's back (I'll ask where to reach you)."
        )
        return Draft(
            content=text,
            intent=intents.NOTIFY,
            parts=[product_card(product)],
            proposals=[ActionProposal("notify_when_in_stock", {"psNumber": product.ps_number, "channel": channel})],
        )

    def _troubleshoot(self, *, u, context, **_):
        symptom, model, appliance_type = u.symptom, u.model, u.appliance_type
        if symptom is None:
            return Draft(
                content='Tell me what the appliance is doing (for example "ice maker not making ice" or '
                '"dishwasher not draining") and its model number, and I\'ll find the parts that fix it.',
                intent=intents.TROUBLESHOOT,
            )
        brand = (model.brand if model else None) or u.brand or None
        parts = catalog.parts_for_symptom(
            symptom=symptom, appliance_type=appliance_type, brand=brand, appliance_model=model, limit=3
        )
        if not parts and brand and model is None:
            parts = catalog.parts_for_symptom(symptom=symptom, appliance_type=appliance_type, limit=3)
        if not parts:
            return Draft(
                content=f'I don\'t have parts listed for "{symptom.name}" yet. Tell me your model number and '
                "I'll look at the parts that fit it.",
                intent=intents.TROUBLESHOOT,
                context={"symptom": symptom.slug},
            )
        subject = f" on your {model.model_number}" if model else (f" ({brand})" if brand else "")
        lines = [f'For "{symptom.name}"{subject}, these parts are the usual fix:']
        lines += [f"- {p.ps_number} {p.name} ({money(p)}, {stock_phrase(p)})" for p in parts]
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

    def _compare(self, *, u, **_):
        products = list(u.mentioned)
        if len(products) < 2 and u.product is not None and u.product not in products:
            products.insert(0, u.product)
        if len(products) < 2 and u.last_parts:
            for ps in u.last_parts:
                p = catalog.product_get(ps_number=ps)
                if p and p not in products:
                    products.append(p)
                if len(products) >= 2:
                    break
        if len(products) < 2:
            return Draft(content="Which two parts should I compare? Send me both PS numbers.", intent=intents.COMPARE)
        a, b = products[:2]
        lines = [f"{a.ps_number} vs {b.ps_number}:"]
        for p in (a, b):
            facts = [p.name, p.brand, money(p), stock_phrase(p)]
            if p.rating is not None:
                facts.append(f"rated {p.rating}/5 ({p.review_count} reviews)")
            if p.install_difficulty:
                facts.append(f"{p.get_install_difficulty_display().lower()} to install")
            if u.model is not None:
                level, _ = catalog.compatibility_check(product=p, appliance_model=u.model)
                facts.append(
                    {"yes": "fits", "no": "does not fit"}.get(level, "fit unknown for") + f" {u.model.model_number}"
                )
            lines.append(f"- {p.ps_number}: " + ", ".join(facts))
        if a.price != b.price:
            cheaper = a if a.price < b.price else b
            lines.append(f"{cheaper.ps_number} is {abs(a.price - b.price):.2f} {a.currency} cheaper.")
        return Draft(
            content="\n".join(lines),
            intent=intents.COMPARE,
            parts=[product_card(a), product_card(b)],
            proposals=[*self._buy_or_wait(a, 1)[:1], *self._buy_or_wait(b, 1)[:1]],
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
            "installing it, price and stock, delivery, and ordering it.",
            intent=intents.GREETING,
        )

    def _recommend(self, *, u, **_):
        return self._search(u=u, intent=intents.RECOMMEND)

    def _search(self, *, u, intent: str = intents.SEARCH, **_):
        words = [w for w in search_tokens(u.norm) if w.isalpha() and not intents.match(w)]
        query = " ".join(dict.fromkeys(u.part_words + words)) or u.norm
        budget = u.entities.budget if u.entities.budget is not None else None
        result = recommend(
            query=query,
            appliance_type=u.appliance_type,
            brand=u.brand or None,
            appliance_model=u.model if (u.model_from_message or u.model) else None,
            budget=budget,
            allowed_types=_scope_types(),
        )
        if not result.items and u.model is not None:
            result = recommend(
                query=query,
                appliance_type=u.appliance_type,
                brand=u.brand or None,
                budget=budget,
                allowed_types=_scope_types(),
            )
        if not result.items:
            if result.over_budget:
                p = result.over_budget[0]
                return Draft(
                    content=f"Nothing matches within {budget:.2f}. The closest is {p.ps_number} ({p.name}) at "
                    f"{money(p)}, {stock_phrase(p)}.",
                    intent=intent,
                    parts=[product_card(p)],
                )
            return Draft(
                content="I couldn't find a part for that in our catalogue. Tell me the part's name, its PS number, "
                f"or your {scope.scope_label()}'s model number and I'll look again.",
                intent=intent,
            )
        lines = ["Here are my top picks:" if intent == intents.RECOMMEND else "Here's what I found:"]
        lines += [
            f"- {r.product.ps_number} {r.product.name} by {r.product.brand}, {money(r.product)}: {r.reason}."
            for r in result.items
        ]
        if u.model is None and len(result.items) > 1:
            lines.append("Tell me your model number and I'll check which one fits.")
        proposals = [self._buy_or_wait(r.product, 1)[0] for r in result.items if r.product.in_stock][:1]
        return Draft(
            content="\n".join(lines),
            intent=intent,
            parts=[product_card(r.product) for r in result.items],
            proposals=proposals if u.model is not None else [],
        )

    def _unknown_part(self, unknown_ps: list[str]) -> Draft:
        return Draft(
            content=f"I couldn't find {', '.join(unknown_ps)} in our catalogue. Please check the number; "
            "PS numbers are on the part's packaging and in our listings.",
            intent=intents.PRODUCT_INFO,
        )

    @staticmethod
    def _buy_or_wait(product, quantity: int) -> list[ActionProposal]:
        if product.in_stock:
            return [ActionProposal("checkout_now", {"psNumber": product.ps_number, "quantity": max(1, quantity)})]
        return [
            ActionProposal("notify_when_in_stock", {"psNumber": product.ps_number}),
            ActionProposal(
                "check_compatible_alternatives",
                {"psNumber": product.ps_number, "applianceType": product.appliance_type},
            ),
        ]


_vocabulary_cache: dict = {}


def _vocabulary():
    """(brands, part-name words, the extra words spelling correction knows), rebuilt with the index."""
    brands, name_terms = catalogue_vocabulary()
    key = (id(name_terms), brands)
    if _vocabulary_cache.get("key") != key:
        extra = frozenset(w for w in name_terms if w.isalpha()) | frozenset(b.lower() for b in brands)
        _vocabulary_cache.update(key=key, value=(brands, name_terms, extra))
    return _vocabulary_cache["value"]


def _legacy(u) -> dict:
    return {}


REFUND_REQUEST = "refund_request"
_REFUND = re.compile(r"\b(refund|money back|reimburse(ment)?|return (it|the part|my order)|charge ?back)\b", re.I)


def _scope_types() -> list[str]:
    return settings.PARLEY_SHOP_SCOPE


def _in_scope(appliance_type: str) -> bool:
    return appliance_type in _scope_types()
