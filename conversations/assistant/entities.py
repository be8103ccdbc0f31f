"""Entity recognition: part numbers, model numbers, brand, appliance type, quantity, symptom
words, contact details, budget, and references to earlier parts ("it", "the first one")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from conversations.assistant.vocabulary import APPLIANCE_WORDS

PS_NUMBER = re.compile(r"\bps\s?-?(\d{5,10})\b", re.IGNORECASE)
# Model and manufacturer numbers: a token of letters and digits with at least one digit and
# at least 5 characters ("WDT780SAEM1", "665.13223N410", "W10190929", "00467614").
CODE_TOKEN = re.compile(r"(?<![\w@.])(?=[A-Za-z0-9.-]*\d)[A-Za-z0-9][A-Za-z0-9.-]{4,19}(?![\w@])")
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{7,}\d")
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
    re.compile(_NUM + r"\s*(?:x\b|pcs\b|pieces?\b|units?\b|of (?:them|these|those|it|that|this|the)\b)", re.I),
    re.compile(r"\b(?:qty|quantity)\s*(?:of|:|is|=)?\s*" + _NUM + r"\b", re.I),
    re.compile(r"\bx\s?(\d{1,3})\b", re.I),
    re.compile(r"\b(?:buy|order|need|want|get|take|purchase)\s+" + _NUM + r"\b(?!\s*(?:%|dollars|usd|\$))", re.I),
]
BUDGET = re.compile(
    r"(?:under|below|less than|cheaper than|max(?:imum)?|budget(?: is| of)?|up to|no more than|at most|within)"
    r"\s*(?:of\s*)?[$£€]?\s*(\d+(?:\.\d{1,2})?)\s*(?:dollars|usd|bucks)?",
    re.IGNORECASE,
)
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "last": -1}
ORDINAL_REF = re.compile(
    r"\b(?:the\s+)?(first|1st|second|2nd|third|3rd|last)\s+(?:one|part|option|item)?\b", re.IGNORECASE
)
CHEAPEST_REF = re.compile(r"\b(?:the\s+)?(cheapest|cheaper one|least expensive|lowest price)\b", re.IGNORECASE)
PRONOUN_REF = re.compile(r"\b(it|this|that|this one|that one|this part|that part|the part|them)\b", re.IGNORECASE)


@dataclass
class Entities:
    ps_numbers: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # candidate model / manufacturer numbers, verified later
    appliance_types: list[str] = field(default_factory=list)
    brand: str = ""
    quantity: int | None = None
    email: str = ""
    phone: str = ""
    budget: float | None = None
    ordinal: int | None = None  # "the second one" → 1
    cheapest: bool = False
    pronoun: bool = False

    def as_dict(self) -> dict:
        return {
            "psNumbers": self.ps_numbers,
            "codes": self.codes,
            "applianceTypes": self.appliance_types,
            "brand": self.brand,
            "quantity": self.quantity,
            "email": self.email,
            "phone": self.phone,
            "budget": self.budget,
        }


def appliance_types(lowered: str) -> list[str]:
    found = []
    for appliance_type, words in APPLIANCE_WORDS.items():
        for word in words:
            if re.search(r"\b" + re.escape(word) + r"s?\b", lowered):
                found.append(appliance_type)
                break
    # "ice maker" alone says refrigerator; "washer" inside "dishwasher" is not a washer.
    if (
        "washer" in found
        and re.search(r"\bdish\s?washers?\b", lowered)
        and not re.search(r"(?<!dish)(?<!dish )\bwashers?\b|washing machine", lowered)
    ):
        found.remove("washer")
    return found


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


def extract(text: str, *, brands: list[str] | tuple[str, ...] = ()) -> Entities:
    lowered = text.lower()
    ps_numbers = list(dict.fromkeys(f"PS{digits}" for digits in PS_NUMBER.findall(text)))
    email_match = EMAIL.search(text)
    without_contacts = EMAIL.sub(" ", text)
    phone_match = PHONE.search(PS_NUMBER.sub(" ", without_contacts))
    phone = re.sub(r"[^\d+]", "", phone_match.group(0)) if phone_match else ""
    codes = []
    for token in CODE_TOKEN.findall(without_contacts):
        upper = token.upper().strip("-.")
        if PS_NUMBER.fullmatch(upper) or upper in codes or len(upper) < 5:
            continue
        if phone and re.sub(r"\D", "", upper) == phone.lstrip("+") and upper.isdigit():
            continue
        if re.fullmatch(r"\d+(\.\d+)?", upper) and len(upper) < 8:
            continue  # a price or an amount, not a code
        codes.append(upper)
    budget = BUDGET.search(text)
    brand = ""
    for name in sorted(brands, key=len, reverse=True):
        if re.search(r"\b" + re.escape(name.lower()) + r"\b", lowered):
            brand = name
            break
    ordinal = ORDINAL_REF.search(text)
    return Entities(
        ps_numbers=ps_numbers,
        codes=codes,
        appliance_types=appliance_types(lowered),
        brand=brand,
        quantity=_quantity(text),
        email=email_match.group(0).lower() if email_match else "",
        phone=phone if len(phone.lstrip("+")) >= 8 else "",
        budget=float(budget.group(1)) if budget else None,
        ordinal=ORDINALS[ordinal.group(1).lower()] if ordinal else None,
        cheapest=bool(CHEAPEST_REF.search(text)),
        pronoun=bool(PRONOUN_REF.search(text)),
    )
