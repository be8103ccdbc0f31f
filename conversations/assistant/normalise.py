"""Spelling tolerance: customer words close to a word the assistant's rules need are corrected
("compatable" → "compatible", "instal" → "install", "dishwaser" → "dishwasher").

Identifiers, e-mail addresses and common English words are never touched; the catalogue's
own words (brands, categories, part names) are part of the vocabulary, so a shop's terms
need no code.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from conversations.assistant.vocabulary import APPLIANCE_WORDS, COMMON_WORDS, INTENT_WORDS

_WORD = re.compile(r"[\w']+")
# A few misspellings too far from the word for a similarity ratio, seen in real chats.
KNOWN_TYPOS = {
    "instal": "install",
    "instll": "install",
    "compatable": "compatible",
    "compatibel": "compatible",
    "compatiable": "compatible",
    "comptible": "compatible",
    "dishwaser": "dishwasher",
    "diswasher": "dishwasher",
    "dishwahser": "dishwasher",
    "refridgerator": "refrigerator",
    "refrigirator": "refrigerator",
    "fridg": "fridge",
    "frige": "fridge",
    "reciept": "receipt",
    "recomend": "recommend",
    "reccomend": "recommend",
    "availble": "available",
    "avalable": "available",
    "delivary": "delivery",
    "shiping": "shipping",
    "gaskit": "gasket",
    "gasget": "gasket",
    "cheeper": "cheaper",
    "alternitive": "alternative",
    "alternitives": "alternatives",
    "notifiy": "notify",
    "purchace": "purchase",
    "wont": "won't",
    "dont": "don't",
    "doesnt": "doesn't",
    "isnt": "isn't",
}


def _vocabulary(extra: frozenset[str]) -> list[str]:
    appliance = {w for words in APPLIANCE_WORDS.values() for phrase in words for w in phrase.split()}
    return sorted(INTENT_WORDS | appliance | extra)


@lru_cache(maxsize=8)
def _vocab(extra: frozenset[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    words = _vocabulary(extra)
    return frozenset(words), tuple(words)


@lru_cache(maxsize=20_000)
def _correct(word: str, extra: frozenset[str]) -> str:
    lowered = word.lower()
    if any(c.isdigit() or c == "_" for c in lowered):
        return word
    if lowered in KNOWN_TYPOS:
        return KNOWN_TYPOS[lowered]
    known, ordered = _vocab(extra)
    if len(lowered) < 5 or lowered in known or lowered in COMMON_WORDS or "'" in lowered:
        return word
    close = difflib.get_close_matches(lowered, ordered, n=1, cutoff=0.84)
    return close[0] if close else word


def normalise(text: str, *, extra_words: frozenset[str] = frozenset()) -> str:
    """The text with misspelt domain words corrected; everything else as written."""
    if "@" in text:
        # Leave e-mail addresses alone: correct only the words around them.
        parts = re.split(r"(\S+@\S+)", text)
        return "".join(p if "@" in p else normalise(p, extra_words=extra_words) for p in parts)
    return _WORD.sub(lambda m: _correct(m.group(0), extra_words), text)
