"""How search reads text: the same tokens for the index and for the query."""

import re
from functools import lru_cache

from catalog.vocabulary import APPLIANCE_SPELLINGS

_WORD = re.compile(r"[a-z0-9]+")

# Customer words → catalogue words. Generic to appliances, not to one shop.
SYNONYMS = {
    **APPLIANCE_SPELLINGS,
    "icemaker": "ice",
    "seal": "gasket",
    "seals": "gasket",
    "tray": "tray",
    "shelving": "shelf",
    "shelves": "shelf",
    "racks": "rack",
    "dishrack": "rack",
    "wheels": "wheel",
    "roller": "wheel",
    "rollers": "wheel",
    "thermistor": "sensor",
    "pcb": "board",
    "motherboard": "board",
    "bulb": "light",
    "lamp": "light",
    "led": "light",
    "hose": "hose",
    "tube": "tube",
    "door": "door",
}
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "any",
        "are",
        "can",
        "could",
        "do",
        "does",
        "find",
        "fit",
        "fits",
        "for",
        "from",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "need",
        "new",
        "of",
        "on",
        "or",
        "part",
        "parts",
        "please",
        "replacement",
        "show",
        "that",
        "the",
        "this",
        "to",
        "want",
        "what",
        "which",
        "with",
        "you",
        "your",
        "looking",
        "buy",
        "get",
        "got",
        "some",
        "there",
        "their",
        "them",
        "these",
        "those",
        "one",
        "would",
        "should",
        "will",
        "be",
        "been",
        "was",
        "were",
        "am",
        "im",
        "id",
        "ive",
        "just",
        "like",
        "also",
        "about",
        "model",
        "number",
        "genuine",
        "oem",
        "select",
        "check",
        "exact",
        "synthetic",
        "benchmarks",
    ]
)


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    word = SYNONYMS.get(word, word)
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Index terms: lower-case words, no stop words, light stemming; identifiers kept whole."""
    out = []
    for word in _WORD.findall((text or "").lower().replace("'", "")):
        if word in STOP_WORDS or (len(word) < 2 and not word.isdigit()):
            continue
        out.append(stem(word))
    return out


def query_terms(query: str) -> list[str]:
    """Distinct terms of a query, without pure identifiers (those are matched exactly)."""
    seen: list[str] = []
    for term in tokens(query):
        if any(c.isdigit() for c in term) and len(term) >= 4:
            continue
        if term not in seen:
            seen.append(term)
    return seen[:12]
