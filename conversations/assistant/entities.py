"""Slots of a message besides its identifiers (identifiers.py) and its meaning (meaning.py):
quantity, budget ("under $50"), sort order ("cheapest", "best rated"), brand, contact details,
and references to earlier parts ("it", "the second one")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from conversations.assistant.identifiers import EMAIL, PHONE

_NUMBER_WORDS = {
    "one": 1,
    "a couple of": 2,
    "a pair of": 2,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_NUM = r"(\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")"
QUANTITY = [
    re.compile(r"\b" + _NUM + r"\s*(?:x\b|pcs\b|pieces?\b|units?\b|of (?:them|these|those|it|that|this|the)\b)", re.I),
    re.compile(r"\b(?:qty|quantity)\s*(?:of|:|is|=)?\s*" + _NUM + r"\b", re.I),
    re.compile(r"\bx\s?(\d{1,3})\b", re.I),
    re.compile(
        r"\b(?:buy|order|need|want|get|take|purchase)\s+" + _NUM + r"\b(?!\s*(?:%|dollars|usd|\$|\d))(?!-)", re.I
    ),
]
BUDGET = re.compile(
    r"(?:under|below|less than|cheaper than|max(?:imum)?|budget(?: is| of)?|up to|no more than|not more than|"
    r"at most|within|(?:spend|pay|afford)(?: only| just| at most| up to| more than)?|around|about|tops)"
    r"\s*(?:of\s*|is\s*)?[$£€]?\s*(\d+(?:\.\d{1,2})?)\s*(?:dollars|usd|bucks)?|"
    # "$40 or less", "30 bucks max", "$25 tops"
    r"[$£€]?\s*(\d+(?:\.\d{1,2})?)\s*(?:dollars|usd|bucks)?\s*(?:or (?:less|under|below|cheaper)|max(?:imum)?\b|tops\b|"
    r"at (?:the )?most|budget\b|limit\b)",
    re.IGNORECASE,
)
# An amount the customer states as a part's price ("costs $1", "is 0.50 USD", "for free"), as
# opposed to a budget ("under $50"): prices come from the catalogue, so a message that dictates
# one gets the catalogue's facts and no button.
STATED_PRICE = re.compile(
    r"[$£€]\s*\d+(?:\.\d{1,2})?|\b\d+(?:\.\d{1,2})?\s*(?:dollars?|bucks|usd|eur|cents)\b|"
    r"\b(?:costs?|price[ds]?|priced)\s*(?:is|at|to|of|=|:)?\s*(?:now\s*)?\d+(?:\.\d{1,2})?\b|"
    r"\b(?:one|a|two|three|five|ten) (?:dollars?|bucks|cents)\b|"
    r"\b(?:for|is|are|it|them|me|part) (?:totally )?free\b(?! (?:shipping|delivery|returns?))|"
    r"\bfree of charge\b|\bfor nothing\b|\bno charge\b|\bhalf price\b",
    re.I,
)
# Sort slots: how the customer wants a list ordered, whatever they ask for.
SORT_PRICE = re.compile(
    r"\b(cheapest|cheaper|least expensive|least costly|lowest[- ]priced?|lowest (?:price|cost)|most affordable|"
    r"cheap|inexpensive|affordable|budget[- ]friendly|low[- ]cost|economical|bargain|on a budget|"
    r"budget (?:option|pick|choice|one|version|model|part|brand)s?|"
    r"not (?:too |very |that |so |super )?(?:pricey|expensive|costly|dear)|(?:doesn'?t|won'?t) (?:cost|break) (?:a lot|much|the bank))\b",
    re.I,
)
SORT_RATING = re.compile(
    r"\b(best[- ]rated|top[- ]rated|highest[- ]rated|best[- ]reviewed|best (rating|reviews)|most popular|"
    r"(customers|people|everyone) (like|love|rate)s? (it )?(most|best))\b",
    re.I,
)
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "last": -1}
ORDINAL_REF = re.compile(
    r"\b(?:the\s+)?(first|1st|second|2nd|third|3rd|last)\s+(?:one|part|option|item)\b", re.IGNORECASE
)
# "the cheapest one", "which one is cheapest", "which is cheaper": one of the parts just shown.
CHEAPEST_REF = re.compile(
    r"\b(?:the|which(?:\s+one|\s+of (?:them|those|these))?(?:\s+is)?(?:\s+the)?)\s+(cheapest|cheaper|least expensive)"
    r"(\s+one)?\s*[?.!]*$",
    re.IGNORECASE,
)
# "that" counts where it stands for a thing ("will that work", "I'll take that"), not where it
# starts a clause ("the shelf that fits my model").
PRONOUN_REF = re.compile(
    r"\b(it|its|it's|this|this one|that one|this part|that part|the part|them)\b|"
    r"(?:^|\b(?:will|would|does|do|did|is|can|could|should|about|buy|order|install|take|want|fit)\s+)that\b",
    re.IGNORECASE,
)


@dataclass
class Entities:
    appliance_types: list[str] = field(default_factory=list)
    brand: str = ""
    quantity: int | None = None
    email: str = ""
    phone: str = ""
    budget: float | None = None
    sort: str = ""  # "price" | "rating" | ""
    ordinal: int | None = None  # "the second one" → 1
    cheapest: bool = False  # "the cheapest one" of the parts just shown
    pronoun: bool = False
    stated_price: bool = False  # the message dictates a price (not a budget)

    def as_dict(self) -> dict:
        return {
            "applianceTypes": self.appliance_types,
            "brand": self.brand,
            "quantity": self.quantity,
            "email": self.email,
            "phone": self.phone,
            "budget": self.budget,
            "sort": self.sort or None,
        }


def _number(value: str) -> int | None:
    if value.isdigit():
        return int(value)
    return _NUMBER_WORDS.get(value.lower())


def _quantity(text: str) -> int | None:
    for pattern in QUANTITY:
        match = pattern.search(text)
        if match:
            value = _number(match.group(1))
            if value:
                return value
    return None


def extract(
    text: str, *, brands: list[str] | tuple[str, ...] = (), appliance_types: list[str] | None = None
) -> Entities:
    """`text` is the message with its identifiers masked (numbers in it are not quantities)."""
    lowered = text.lower()
    email_match = EMAIL.search(text)
    phone_match = PHONE.search(EMAIL.sub(" ", text))
    phone = re.sub(r"[^\d+]", "", phone_match.group(0)) if phone_match else ""
    budget = BUDGET.search(text)
    budgets = [m.span() for m in BUDGET.finditer(text)]
    stated = [
        m for m in STATED_PRICE.finditer(text) if not any(a <= m.start() and m.end() <= b + 8 for a, b in budgets)
    ]
    brand = ""
    for name in sorted(brands, key=len, reverse=True):
        if re.search(r"\b" + re.escape(name.lower()) + r"\b", lowered):
            brand = name
            break
    ordinal = ORDINAL_REF.search(text)
    sort = "price" if SORT_PRICE.search(text) else ("rating" if SORT_RATING.search(text) else "")
    return Entities(
        appliance_types=list(appliance_types or []),
        brand=brand,
        quantity=_quantity(EMAIL.sub(" ", text)),
        email=email_match.group(0).lower() if email_match else "",
        phone=phone if len(phone.lstrip("+")) >= 8 else "",
        budget=float(budget.group(1) or budget.group(2)) if budget else None,
        sort=sort,
        ordinal=ORDINALS[ordinal.group(1).lower()] if ordinal else None,
        cheapest=bool(CHEAPEST_REF.search(text)),
        pronoun=bool(PRONOUN_REF.search(text)),
        stated_price=bool(stated),
    )
