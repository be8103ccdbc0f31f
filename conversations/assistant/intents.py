"""Intent recognition for the offline engine: ordered patterns, first match wins."""

import re

GREETING = "greeting"
COMPATIBILITY = "compatibility"
INSTALL = "install"
TROUBLESHOOT = "troubleshoot"
ALTERNATIVES = "alternatives"
NOTIFY = "notify_when_in_stock"
PURCHASE = "purchase"
PRICE_STOCK = "price_stock"
ORDER_STATUS = "order_status"
PRODUCT_INFO = "product_info"
SEARCH = "search"
OUT_OF_SCOPE = "out_of_scope"
UNKNOWN = "unknown"

PURCHASE_INTENTS = frozenset({PURCHASE})

_PATTERNS: list[tuple[str, re.Pattern]] = [
    (ORDER_STATUS, re.compile(r"\b(order status|where is my order|track(ing)? my order|my order|ORD-\w+)", re.I)),
    (
        NOTIFY,
        re.compile(r"\b(notify|let me know when|tell me when|alert me|back in stock|email me when|restock)", re.I),
    ),
    (
        ALTERNATIVES,
        re.compile(
            r"\b(alternatives?|cheaper|other options?|something else|similar parts?|substitute|instead)\b", re.I
        ),
    ),
    (
        COMPATIBILITY,
        re.compile(
            r"\b(compatible|compatibility|fits?|fit my|work with|works with|right part for|match(es)? my)\b", re.I
        ),
    ),
    (
        INSTALL,
        re.compile(r"\b(install|installation|replace|replacing|put (it )?in|instructions|how do i fit|swap)\b", re.I),
    ),
    (
        PURCHASE,
        re.compile(
            r"\b(buy|purchase|order it|order one|order this|checkout|check out|add to cart|i('ll| will) take)\b", re.I
        ),
    ),
    (
        PRICE_STOCK,
        re.compile(
            r"\b(price|cost|how much|in stock|available|availability|stock|deliver|delivery|ship(ping)?)\b", re.I
        ),
    ),
    (
        TROUBLESHOOT,
        re.compile(
            r"\b(not working|doesn'?t work|isn'?t working|won'?t|broken|leak(ing|s)?|noisy|noise|fix|repair|"
            r"not (cooling|cold|draining|cleaning|making|dispensing|drying|starting|filling)|stopped|problem|issue)\b",
            re.I,
        ),
    ),
    (GREETING, re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|thanks|thank you)\b[\s!.]*$", re.I)),
]


def classify(text: str, *, has_part: bool, has_symptom: bool) -> str:
    for intent, pattern in _PATTERNS:
        if pattern.search(text):
            if intent == TROUBLESHOOT and has_part and not has_symptom:
                return PRODUCT_INFO
            return intent
    if has_symptom:
        return TROUBLESHOOT
    if has_part:
        return PRODUCT_INFO
    return SEARCH
