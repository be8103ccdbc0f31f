"""The grounding check every reply passes, whatever engine wrote it.

Facts in the reply are compared with the catalogue at the moment of the reply:
- part numbers: a PS number (or a manufacturer part number) that is not in the catalogue is
  removed with the sentence that names it. The only exception is a sentence saying the
  customer's own number was not found ("I couldn't find PS00000001").
- prices: an amount attributed to a part (the nearest part named before it in the same
  sentence, or the only part the reply is about) that differs from the catalogue price is
  replaced by the catalogue price.
- stock: "in stock" / "out of stock" / "backordered" / "N available" claims that disagree
  with the catalogue are replaced by the true stock phrase.
- compatibility: "PSx is compatible with / fits MODEL" is checked against the
  compatibility table; a wrong claim is replaced by the catalogue's answer.
- orders (when the reply names an order or a parcel): "ORD-… has shipped / was delivered /
  is packed / was cancelled" is checked against that order of the conversation and replaced by
  the order's own fulfilment sentence when wrong; a tracking number or tracking link that no
  order of the conversation has is an invented one: its sentence is removed. The conversation's
  real tracking numbers are never taken for invented part numbers.
- `parts` are rebuilt from the catalogue (unknown cards dropped, prices and stock fresh);
  a reply that names parts but has no cards gets cards for them (at most 3).
If correcting leaves nothing useful, the reply is replaced by a safe one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from catalog import selectors as catalog
from catalog.serializers import product_card
from conversations.assistant.draft import Draft
from core.money import money_display

PS_TOKEN = re.compile(r"\bPS\s?-?\d{5,10}\b", re.I)
CODE_TOKEN = re.compile(
    r"(?<![\w@.])(?=[A-Za-z0-9.-]*\d)(?=[A-Za-z0-9.-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9.-]{4,19}(?![\w@])"
)
MONEY = re.compile(
    r"(?:(?:US)?\$|USD\s?|£|€)\s?(\d{1,6}(?:,\d{3})*(?:\.\d{1,2})?)|(\d{1,6}(?:\.\d{2}))\s?(?:USD|GBP|EUR|dollars)\b"
)
STOCK_CLAIM = re.compile(
    r"(?<!back )(?<!once it's )(?<!when it's )(?<!until it's )\b(?:(?:is |are |currently |)(?:in stock(?: \(\d+ available\))?|out of stock|backordered|sold out|"
    r"no longer available|available now)|\d+ (?:available|in stock|left))\b",
    re.I,
)
COMPAT_CLAIM = re.compile(
    r"\b(PS\d{5,10})\b[^.\n]*?\b(?:is compatible with|fits|will fit|works with)\b(?: your)? ([A-Z0-9][A-Z0-9.-]{4,19})",
    re.I,
)
# A sentence ends at . ! ? or a line break, but not at the point of "24.99" or "665.13223N410".
SENTENCE = re.compile(r"(?:[^.!?\n]|\.(?=\d))+[.!?]?|\n|[.!?]")
RELATIVE_AFTER = re.compile(r"^\s*(cheaper|less|more|difference|saving|off|extra|budget|or (less|more|under))\b", re.I)
RELATIVE_BEFORE = re.compile(
    r"\b(over|above|under|below|budget|within|orders?|save|saving|difference|up to|less than|more than|cheaper than)"
    r"\s*(of\s*)?(your\s*)?$",
    re.I,
)
NOT_FOUND = re.compile(r"\b(couldn'?t find|could not find|not in our catalogue|no part|doesn'?t exist|unknown)\b", re.I)
ORDER_TOKEN = re.compile(r"\bORD-?\d{6}-?[A-Z0-9]{4,8}\b", re.I)
PARCEL_WORDS = re.compile(r"\b(track(?:ing|ed)?|shipped|dispatched|delivered|packed|on its way|in transit)\b", re.I)
# A claim about where an order's parcel is, and what it needs to be true.
FULFILMENT_CLAIMS = (
    (re.compile(r"\b(?:was |been |is |has been )?delivered\b", re.I), ("delivered",)),
    (
        re.compile(r"\b(?:has |have |was |been )?(?:shipped|dispatched|on its way|in transit)\b", re.I),
        ("shipped", "delivered"),
    ),
    (re.compile(r"\b(?:is |was |been )?packed\b", re.I), ("packed", "shipped", "delivered")),
    (re.compile(r"\b(?:was |been |is |has been )?cancell?ed\b", re.I), ("cancelled",)),
)
NEGATED = re.compile(r"\b(?:not|no|never|yet to|cannot)\b|n['’]t\b", re.I)
TRACKING_CLAIM = re.compile(
    r"\btracking (?:number|no\.?|code|id|reference)?\s*(?:is\s*)?[:#]?\s*([A-Z0-9][A-Z0-9-]{5,39})\b", re.I
)
URL = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)]", re.I)
# A link is kept out of the sentence splitting and the part-number checks while grounding runs.
URL_HOLE = re.compile("\ue000(\\d+)\ue001")
SAFE_REPLY = (
    "I couldn't confirm that from our catalogue. Tell me the part's PS number or your model number and I'll "
    "check price, stock and fit for you."
)


@dataclass
class GroundingReport:
    corrections: list[dict] = field(default_factory=list)
    replaced: bool = False

    def as_dict(self) -> dict:
        return {"corrections": self.corrections, "replaced": self.replaced}


def _stock_phrase(product) -> str:
    from conversations.assistant.rules_engine import stock_phrase

    return stock_phrase(product)


def _claim_ok(claim: str, product) -> bool:
    lowered = claim.lower()
    numbers = re.findall(r"\d+", lowered)
    if "no longer" in lowered:
        return product.availability == "discontinued"
    if "backordered" in lowered:
        return product.availability == "backordered"
    if "out of stock" in lowered or "sold out" in lowered:
        return not product.in_stock
    if numbers and ("available" in lowered or "left" in lowered or "in stock" in lowered):
        return product.in_stock and int(numbers[0]) == product.stock_quantity
    return product.in_stock  # "in stock", "available now"


class _Lookup:
    def __init__(self):
        self.cache: dict[str, object] = {}

    def prefetch(self, ps_numbers) -> None:
        """Every canonical PS number the reply names (most of them): as the reply read them
        (`catalog_reads_shared`), the others in one query."""
        keys = {re.sub(r"[\s-]", "", str(t).upper()) for t in ps_numbers if t} - set(self.cache)
        if keys:
            for key, product in catalog.products_by_ps_number(ps_numbers=keys).items():
                self.cache[key] = product

    def model(self, token: str):
        key = "model:" + token.upper()
        if key not in self.cache:
            self.cache[key] = catalog.appliance_model_get(model_number=token)
        return self.cache[key]

    def product(self, token: str):
        key = re.sub(r"[\s-]", "", token.upper())
        if key not in self.cache:
            self.cache[key] = catalog.product_get(ps_number=key)
        return self.cache[key]


class _Orders:
    """The conversation's orders, read only when a reply talks about an order or a parcel."""

    def __init__(self, source: Callable[[], list] | None):
        self.source = source
        self._orders: list | None = None

    @property
    def all(self) -> list:
        if self._orders is None:
            self._orders = list(self.source()) if self.source is not None else []
        return self._orders

    def by_number(self, token: str):
        key = re.sub(r"[\s-]", "", token.upper())
        return next((o for o in self.all if o.number.replace("-", "").upper() == key), None)

    def tracking_numbers(self) -> set[str]:
        return {o.tracking_number.upper() for o in self.all if o.tracking_number}

    def tracking_urls(self) -> set[str]:
        return {o.tracking_url.rstrip("/") for o in self.all if o.tracking_url}


def _ground_parcel(sentence: str, orders: _Orders, urls: list[str], report: GroundingReport) -> tuple[str, bool]:
    """Fulfilment claims and tracking in one sentence, against the conversation's orders."""
    from conversations.services.order_notices import order_fulfilment_sentence

    for match in TRACKING_CLAIM.finditer(sentence):
        token = match.group(1).upper()
        if not re.search(r"\d", token) or token in orders.tracking_numbers():
            continue
        report.corrections.append({"kind": "tracking", "value": token})
        return "", True
    for index in URL_HOLE.findall(sentence):
        url = urls[int(index)]
        if re.search(r"track", url + sentence, re.I) and url.rstrip("/") not in orders.tracking_urls():
            report.corrections.append({"kind": "tracking_url", "value": url})
            return "", True
    numbers = ORDER_TOKEN.findall(sentence)
    if len(numbers) != 1 or NEGATED.search(sentence):
        return sentence, False
    order = orders.by_number(numbers[0])
    if order is None:
        return sentence, False
    for claim, true_when in FULFILMENT_CLAIMS:
        if claim.search(sentence) and order.fulfilment_status not in true_when:
            report.corrections.append(
                {"kind": "fulfilment", "order": order.number, "claimed": claim.search(sentence).group(0).strip()}
            )
            truth = order_fulfilment_sentence(order) or "It has nothing to ship."
            return f" Order {order.number}: {truth}", False
    return sentence, False


def ground(
    draft: Draft, *, user_text: str = "", orders: Callable[[], list] | None = None
) -> tuple[Draft, GroundingReport]:
    """`orders`: reads the conversation's orders (for fulfilment and tracking claims); called only
    when the reply names an order or a parcel."""
    report = GroundingReport()
    lookup = _Lookup()
    parcel = _Orders(orders)
    talks_parcel = bool(ORDER_TOKEN.search(draft.content or "") or PARCEL_WORDS.search(draft.content or ""))
    lookup.prefetch([*PS_TOKEN.findall(draft.content or ""), *(c.get("psNumber", "") for c in draft.parts or [])])
    user_numbers = {re.sub(r"[\s-]", "", t.upper()) for t in PS_TOKEN.findall(user_text or "")}
    user_numbers |= {t.upper() for t in CODE_TOKEN.findall(user_text or "")}
    # An order number, and a tracking number the conversation's orders have, are not parts or
    # models: not looked up in the catalogue (nor taken for invented parts).
    not_parts = parcel.tracking_numbers() if talks_parcel else set()
    # The parts the reply is about: its cards, then what it names.
    card_products = [p for p in (lookup.product(c.get("psNumber", "")) for c in draft.parts or []) if p is not None]
    named = []
    for token in PS_TOKEN.findall(draft.content or ""):
        product = lookup.product(token)
        if product is not None and product not in named:
            named.append(product)
    subject = (card_products or named)[0] if len(card_products or named) == 1 else None

    urls: list[str] = []

    def hide(match: re.Match) -> str:
        urls.append(match.group(0))
        return f"\ue000{len(urls) - 1}\ue001"

    out_sentences: list[str] = []
    for sentence in SENTENCE.findall(URL.sub(hide, draft.content or "")):
        if sentence == "\n":
            out_sentences.append(sentence)
            continue
        fixed, drop = _ground_sentence(sentence, lookup, subject, user_numbers, report, not_parts)
        if not drop and talks_parcel:
            fixed, drop = _ground_parcel(fixed, parcel, urls, report)
        if not drop:
            out_sentences.append(fixed)
    content = URL_HOLE.sub(lambda m: urls[int(m.group(1))], "".join(out_sentences))
    content = re.sub(r"[ \t]+\n", "\n", re.sub(r"\n{3,}", "\n\n", content)).strip()
    parts = []
    seen = set()
    for product in card_products or named[:3]:
        if product.ps_number in seen:
            continue
        seen.add(product.ps_number)
        parts.append(product_card(product))
    dropped_cards = [c.get("psNumber") for c in draft.parts or [] if lookup.product(c.get("psNumber", "")) is None]
    for ps in dropped_cards:
        report.corrections.append({"kind": "unknown_card", "value": ps})
    if not content or (report.corrections and not re.search(r"[A-Za-z]{3,}", content)):
        content = SAFE_REPLY
        parts = []
        report.replaced = True
    draft.content = content
    draft.parts = parts
    return draft, report


def _ground_sentence(sentence, lookup, subject, user_numbers, report, not_parts=frozenset()) -> tuple[str, bool]:
    # 1. part numbers
    products_here = []
    for token in PS_TOKEN.findall(sentence):
        key = re.sub(r"[\s-]", "", token.upper())
        product = lookup.product(key)
        if product is None:
            if key in user_numbers and NOT_FOUND.search(sentence):
                continue
            report.corrections.append({"kind": "unknown_part", "value": key})
            return "", True
        products_here.append(product)
    for token in CODE_TOKEN.findall(sentence):
        if PS_TOKEN.fullmatch(token) or not re.search(r"\d", token) or not re.search(r"[A-Za-z]", token):
            continue
        upper = token.upper()
        if ORDER_TOKEN.fullmatch(upper.rstrip(".")) or upper.rstrip(".") in not_parts:
            continue
        # Is it a model? A sentence's full stop is not part of the number, and a model's key
        # ignores dots, so the answer is the same as with it, and the number as already read.
        if lookup.model(upper.rstrip(".")) is not None:
            continue
        product = lookup.product(upper)
        if product is not None:
            products_here.append(product)
        elif (
            re.fullmatch(r"[A-Z]{1,4}\d{5,}[A-Z0-9]*", upper)
            and not NOT_FOUND.search(sentence)
            and upper not in user_numbers
        ):
            # Shaped like a manufacturer part number, not ours and not the customer's: an invented part.
            report.corrections.append({"kind": "unknown_part", "value": upper})
            return "", True
    target = products_here[0] if len(products_here) == 1 else (subject if not products_here else None)

    # 2. prices: each amount checked against the nearest part named before it.
    def fix_money(match: re.Match) -> str:
        amount_text = match.group(1) or match.group(2)
        try:
            amount = float(amount_text.replace(",", ""))
        except ValueError:
            return match.group(0)
        before = sentence[: match.start()]
        after = sentence[match.end() : match.end() + 30]
        if RELATIVE_AFTER.search(after) or RELATIVE_BEFORE.search(before[-25:]):
            return match.group(0)  # a difference, a budget or a threshold, not a part's price
        names = PS_TOKEN.findall(before)
        product = lookup.product(names[-1]) if names else target
        if product is None:
            return match.group(0)
        if abs(amount - float(product.price)) < 0.005:
            return match.group(0)
        if products_here and any(abs(amount - float(p.price)) < 0.005 for p in products_here):
            return match.group(0)
        report.corrections.append(
            {"kind": "price", "part": product.ps_number, "claimed": amount_text, "catalogue": f"{product.price:.2f}"}
        )
        return money_display(product.price, product.currency)

    sentence = MONEY.sub(fix_money, sentence)

    # 3. stock claims
    def fix_stock(match: re.Match) -> str:
        before = sentence[: match.start()]
        names = PS_TOKEN.findall(before)
        product = lookup.product(names[-1]) if names else target
        if product is None or _claim_ok(match.group(0), product):
            return match.group(0)
        truth = _stock_phrase(product)
        report.corrections.append({"kind": "stock", "part": product.ps_number, "claimed": match.group(0).strip()})
        prefix = re.match(r"\s*(is |are |currently )", match.group(0), re.I)
        return (prefix.group(0) if prefix else "") + truth

    sentence = STOCK_CLAIM.sub(fix_stock, sentence)

    # 4. compatibility claims
    for match in COMPAT_CLAIM.finditer(sentence):
        if re.search(r"\b(not|isn'?t|doesn'?t|won'?t|can'?t|no)\b", match.group(0), re.I):
            continue
        product = lookup.product(match.group(1))
        model = lookup.model(match.group(2))
        if product is None or model is None:
            continue
        level, _ = catalog.compatibility_check(product=product, appliance_model=model)
        if level != "yes":
            report.corrections.append(
                {"kind": "compatibility", "part": product.ps_number, "model": model.model_number, "catalogue": level}
            )
            truth = (
                f"{product.ps_number} is not listed as compatible with {model.model_number}."
                if level == "no"
                else f"We have no fit data for {product.ps_number} with {model.model_number}."
            )
            return " " + truth, False
    return sentence, False


def facts_check(content: str, parts: list[dict], *, user_text: str = "") -> tuple[int, int, list[dict]]:
    """(facts found, facts wrong, the wrong ones) in a reply: the evaluation's grounded-fact check."""
    probe = Draft(content=content, intent="", parts=[dict(p) for p in parts])
    total = len(PS_TOKEN.findall(content)) + len(MONEY.findall(content)) + len(STOCK_CLAIM.findall(content))
    total += len(COMPAT_CLAIM.findall(content))
    total += len(parts)
    _, report = ground(probe, user_text=user_text)
    wrong = list(report.corrections)
    for card in parts:
        product = catalog.product_get(ps_number=card.get("psNumber", ""))
        if product is None:
            continue
        fresh = product_card(product)
        if any(card.get(k) != fresh[k] for k in ("price", "inStock", "currency")):
            wrong.append({"kind": "card", "part": product.ps_number})
    return total, len(wrong), wrong
