"""Entity recognition: part numbers, model numbers, brand, appliance type, quantity, contact."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from conversations.assistant.vocabulary import APPLIANCE_WORDS

PS_NUMBER = re.compile(r"\bps\s?-?(\d{5,10})\b", re.IGNORECASE)
# Model and manufacturer numbers: a token of letters and digits with at least one of each.
CODE_TOKEN = re.compile(r"\b(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9-]{4,19}\b")
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{7,}\d")
_NUMBER_WORDS = {
    "one": 1,
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
QUANTITY = re.compile(
    r"\b(?:(\d{1,3})|("
    + "|".join(_NUMBER_WORDS)
    + r"))\s*(?:x\b|pcs\b|pieces?\b|units?\b|of (?:them|these|those|it)\b)"
    r"|\b(?:qty|quantity)[:\s]*(\d{1,3})\b|\bx\s?(\d{1,3})\b",
    re.IGNORECASE,
)
BUDGET = re.compile(
    r"(?:under|below|less than|max(?:imum)?|budget(?: of)?|up to)\s*[$£€]?\s*(\d+(?:\.\d{1,2})?)", re.IGNORECASE
)


@dataclass
class Entities:
    ps_numbers: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # candidate model / manufacturer numbers, verified later
    appliance_types: list[str] = field(default_factory=list)
    quantity: int | None = None
    email: str = ""
    phone: str = ""
    budget: float | None = None

    def as_dict(self) -> dict:
        return {
            "psNumbers": self.ps_numbers,
            "codes": self.codes,
            "applianceTypes": self.appliance_types,
            "quantity": self.quantity,
            "email": self.email,
            "phone": self.phone,
            "budget": self.budget,
        }


def _appliance_types(lowered: str) -> list[str]:
    found = []
    for appliance_type, words in APPLIANCE_WORDS.items():
        for word in words:
            if re.search(r"\b" + re.escape(word) + r"s?\b", lowered):
                found.append(appliance_type)
                break
    return found


def _quantity(text: str) -> int | None:
    match = QUANTITY.search(text)
    if not match:
        return None
    digits = next((group for group in (match.group(1), match.group(3), match.group(4)) if group), None)
    if digits:
        return int(digits)
    return _NUMBER_WORDS.get(match.group(2).lower()) if match.group(2) else None


def extract(text: str) -> Entities:
    lowered = text.lower()
    ps_numbers = list(dict.fromkeys(f"PS{digits}" for digits in PS_NUMBER.findall(text)))
    email_match = EMAIL.search(text)
    without_contacts = EMAIL.sub(" ", text)
    phone_match = PHONE.search(without_contacts)
    codes = []
    for token in CODE_TOKEN.findall(without_contacts):
        upper = token.upper().strip("-")
        if PS_NUMBER.fullmatch(upper) or upper in codes:
            continue
        codes.append(upper)
    budget = BUDGET.search(text)
    return Entities(
        ps_numbers=ps_numbers,
        codes=codes,
        appliance_types=_appliance_types(lowered),
        quantity=_quantity(text),
        email=email_match.group(0).lower() if email_match else "",
        phone=re.sub(r"[^\d+]", "", phone_match.group(0)) if phone_match else "",
        budget=float(budget.group(1)) if budget else None,
    )
