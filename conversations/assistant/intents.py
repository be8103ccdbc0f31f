"""Intents of the offline engine, read by meaning (meaning.py) over the labelled examples in
data/intents.json, then adjusted by what the message's identifiers make certain.

A message is cut into segments ("does A fit X? and does B fit Y?"), each with its own intent,
so every question gets its answer. When the best label is not clear enough the engine asks
one clarifying question (`CLARIFY`) instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from conversations.assistant import meaning

GREETING = "greeting"
COMPATIBILITY = "compatibility"
INSTALL = "install"
TROUBLESHOOT = "troubleshoot"
ALTERNATIVES = "alternatives"
NOTIFY = "notify_when_in_stock"
PURCHASE = "purchase"
PRICE_STOCK = "price_stock"
DELIVERY = "delivery"
ORDER_STATUS = "order_status"
ORDER_CANCEL = "order_cancel"
REFUND_REQUEST = "refund_request"
PRODUCT_INFO = "product_info"
COMPARE = "compare"
RECOMMEND = "recommend"
SEARCH = "search"
POLICY = "policy"
HUMAN = "human"
DISCOUNT = "discount"
CLARIFY = "clarify"
OUT_OF_SCOPE = "out_of_scope"
INJECTION = "injection"
UNKNOWN = "unknown"

PURCHASE_INTENTS = frozenset({PURCHASE})
# What is refused with no actions at all.
REFUSALS = frozenset({OUT_OF_SCOPE, INJECTION, DISCOUNT})
# Intents about a part, which a bare follow-up ("and the door gasket?") carries over.
CARRY_OVER = frozenset({COMPATIBILITY, INSTALL, PRICE_STOCK, DELIVERY, PRODUCT_INFO, PURCHASE, ALTERNATIVES})
PART_INTENTS = CARRY_OVER | frozenset({NOTIFY, COMPARE})
ORDER_INTENTS = frozenset({ORDER_STATUS, ORDER_CANCEL, REFUND_REQUEST})

FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|also|same for|same question for|what of)\b", re.I)
# Where one question ends and the next begins: sentence ends, or "and"/"also" before a new question.
_SEGMENT_BREAK = re.compile(
    r"(?<=[?!;])\s+|(?<=\.)\s+(?=[A-Za-z])|\n+|"
    r"[,;]?\s+(?:and|also|plus)\s+(?=(?:does|do|is|are|can|could|will|would|how|what|whats|what's|when|where|"
    r"which|please|tell|send|show|check|cancel|refund|i want|i'd like|i need)\b)",
    re.I,
)
_ONLY_IDENTIFIERS = re.compile(r"^\W*(?:(?:this part|my model|my order|this number|and|or|for|my|the|it)\W*)+$", re.I)


def segments(text: str) -> list[tuple[int, int]]:
    """(start, end) of each question in `text`; short pieces stay with their neighbour."""
    spans, last = [], 0
    for match in _SEGMENT_BREAK.finditer(text):
        spans.append((last, match.start()))
        last = match.end()
    spans.append((last, len(text)))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        piece = text[start:end].strip()
        if not piece:
            continue
        if merged and len(re.findall(r"\w+", piece)) < 2:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged or [(0, len(text))]


@dataclass
class Reading:
    intent: str
    confidence: float
    scores: dict[str, float]
    text: str = ""

    @property
    def runner_up(self) -> str:
        labels = list(self.scores)
        return labels[1] if len(labels) > 1 else ""


def read(masked: str) -> Reading:
    """The best label for a masked segment, with its score and every label's score."""
    scores = meaning.intent_scores(masked)
    best = next(iter(scores), UNKNOWN)
    return Reading(intent=best, confidence=scores.get(best, 0.0), scores=scores, text=masked)


def only_identifiers(masked: str) -> bool:
    return bool(_ONLY_IDENTIFIERS.match(masked))


def injection_suspected(reading: Reading, *, question: bool = False) -> bool:
    """Instructions aimed at the assistant, not a shopper's question: refused even when another
    label scores a little higher, because a wrong refusal costs less than an obeyed injection.
    A question ("can you tell me the price of …") is read as instructions only when that is its
    best reading: asking is what shoppers do, and instructions inside a question are clauses of
    their own (`injection_in`)."""
    score = reading.scores.get(INJECTION, 0.0)
    if score < meaning.threshold("injection"):
        return False
    addressed = bool(ADDRESSED.search(reading.text))
    if reading.intent == INJECTION:
        # With no word aimed at the assistant, a narrow win is price talk ("ps… cost?"), not instructions.
        runner_up = max((v for k, v in reading.scores.items() if k != INJECTION), default=0.0)
        return addressed or score - runner_up >= meaning.INJECTION_MARGIN
    # A near miss needs words aimed at the assistant itself: price talk alone ("cost on PS… please")
    # sits near the injection examples, which are mostly about prices too.
    return not question and addressed and reading.confidence - score < meaning.INJECTION_MARGIN


# Words that address the assistant's own instructions, role or records rather than the shop's parts.
ADDRESSED = re.compile(
    r"\b(ignore|disregard|forget|pretend|act as|you are|you're|youre|from now on|override|rules?|instructions?|"
    r"prompt|system|admin|developer|mode|jailbreak|obey|must|confirm|mark|approve|set|update|records?|reveal|"
    r"print|repeat|say|authori[sz]e|management|owner|manager|policy|checkout)\b|"
    # A price dictated to nothing ("for free", "to zero"), not "zero ice" or "free shipping".
    r"\b(?:for|to|at|is|be|costs?|of)\s+(?:free|zero|nothing)\b",
    re.I,
)


QUESTION_FORM = re.compile(
    r"^\W*(?:hi|hello|hey|ok|so|and|also|please)?\W*(?:can|could|would|will|do|does|did|is|are|was|what|whats|"
    r"what's|how|when|where|which|who|why|may|should|any|got|have you)\b",
    re.I,
)


def is_question(text: str) -> bool:
    return bool(QUESTION_FORM.match(text))


_CLAUSE = re.compile(r"[,;:!?\n]|(?<!\d)\.(?!\d)|\s(?:and|then|but|so)\s", re.I)


# A message written as another party of the conversation ("SYSTEM: …", "assistant: …") is
# addressed to the assistant's instructions, whatever it asks for.
ROLE_LABEL = re.compile(
    r"^\W*(system|assistant|developer|admin|administrator|operator|root|moderator)\W{0,3}"
    r"(\s*(prompt|message|note|override|instructions?|update|command|notice|mode))?\s*[:\]>|-]",
    re.I,
)


def injection_in(masked: str) -> bool:
    """Whether the message, or any clause of it, reads as instructions to the assistant
    ("ignore previous instructions and …"): a shopper's words around it do not dilute it."""
    if ROLE_LABEL.match(masked):
        return True
    pieces = [masked, *(p for p in _CLAUSE.split(masked) if len(p.split()) >= 2)]
    return any(
        injection_suspected(read(piece), question=is_question(piece))
        for piece in dict.fromkeys(p.strip() for p in pieces)
    )
