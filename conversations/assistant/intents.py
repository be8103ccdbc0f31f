"""Intent recognition for the offline engine: ordered patterns over the normalised text
(misspellings already corrected), first match wins, then conversation-aware fallbacks."""

import re

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
PRODUCT_INFO = "product_info"
COMPARE = "compare"
RECOMMEND = "recommend"
SEARCH = "search"
OUT_OF_SCOPE = "out_of_scope"
UNKNOWN = "unknown"

ALL = (
    GREETING,
    COMPATIBILITY,
    INSTALL,
    TROUBLESHOOT,
    ALTERNATIVES,
    NOTIFY,
    PURCHASE,
    PRICE_STOCK,
    DELIVERY,
    ORDER_STATUS,
    PRODUCT_INFO,
    COMPARE,
    RECOMMEND,
    SEARCH,
    OUT_OF_SCOPE,
    UNKNOWN,
)
PURCHASE_INTENTS = frozenset({PURCHASE})
# Intents a bare follow-up ("and the door gasket?") carries over from the previous turn.
CARRY_OVER = frozenset({COMPATIBILITY, INSTALL, PRICE_STOCK, DELIVERY, PRODUCT_INFO, PURCHASE, ALTERNATIVES})

_PATTERNS: list[tuple[str, re.Pattern]] = [
    (
        ORDER_STATUS,
        re.compile(
            r"\b(order status|status of my order|where('s| is) my (order|package|parcel|delivery)|track(ing)?( my)? "
            r"(order|package|parcel)|my order|has my (order|part|package) (shipped|been shipped|arrived)|"
            r"did my order|order number|ORD-\w+)",
            re.I,
        ),
    ),
    (
        NOTIFY,
        re.compile(
            r"\b(notify|let me know when|tell me when|alert me|back in stock|email me when|text me when|"
            r"message me when|ping me when|restock|when (it'?s|it is|they'?re|they are) back|"
            r"when (will|does) (it|this|that) (be )?(back|come back|available again)|comes? back)",
            re.I,
        ),
    ),
    (
        COMPARE,
        re.compile(
            r"\b(compare|comparison|versus|vs\.?|difference between|differences between|which (one )?is better|"
            r"what'?s the difference)\b",
            re.I,
        ),
    ),
    (
        ALTERNATIVES,
        re.compile(
            r"\b(alternatives?|cheaper|less expensive|lower price|other options?|something else|similar (parts?|ones?)|"
            r"substitutes?|instead|another (brand|option|one)|other brands?|equivalent)\b",
            re.I,
        ),
    ),
    (
        COMPATIBILITY,
        re.compile(
            r"\b(compatible|compatibility|fits?|fitting|fit my|will it fit|work with|works with|work on|"
            r"work in|right part for|match(es)? my|(a )?match for|go with my|suitable for)\b",
            re.I,
        ),
    ),
    (
        INSTALL,
        re.compile(
            r"\b(install|installation|installing|replace|replacing|put (it |this |that )?in|instructions|"
            r"how do i (fit|change|swap|remove|put)|swap|how hard|difficult(y)?|what tools|tools do i need|"
            r"how long does it take to (install|replace|fit|change)|diy|do it myself)\b",
            re.I,
        ),
    ),
    (
        PURCHASE,
        re.compile(
            r"\b(buy|purchase|order (it|one|this|that|them|two|\d+)|place an order|checkout|check out|"
            r"add\b.{0,30}\bto (my |the )?(cart|basket)|i (want|need|'?d like|would like) (\d+|two|three|four|five|a couple)\b|"
            r"i('ll| will) take|i want (it|this|that|one|them)\b|i'?d like (it|one|to order)|"
            r"get (it|one|this|that) for me|ready to pay|pay for it|proceed)\b",
            re.I,
        ),
    ),
    (
        DELIVERY,
        re.compile(
            r"\b(deliver(y|ed|ies)?|ship(ping|ped|s)?|postage|dispatch(ed)?|arrive|arrival|how (long|fast|soon) "
            r"(until|till|will|would|before)|get here|express|overnight)\b",
            re.I,
        ),
    ),
    (
        PRICE_STOCK,
        re.compile(
            r"\b(price|prices|cost|costs|how much|in stock|available|availability|stock|do you (have|carry|sell) "
            r"(it|this|that|one|any)|have (it|any) in|sold out|out of stock|how many (do you have|left|are left))\b",
            re.I,
        ),
    ),
    (
        RECOMMEND,
        re.compile(
            r"\b(recommend|recommendation|suggest|suggestion|best|what should i (buy|get)|which (one )?should i|"
            r"good (one|option|choice)|top rated|popular)\b",
            re.I,
        ),
    ),
    (
        TROUBLESHOOT,
        re.compile(
            r"\b(not working|doesn'?t work|isn'?t working|won'?t|will not|broken|broke|leak(ing|s)?|noisy|noise|"
            r"loud|fix|repair|troubleshoot|clicking|keeps (running|clicking|beeping|tripping)|runs constantly|dirty|"
            r"tastes? (bad|funny|off|weird)|won'?t stay|diagnose|cracked|not (cooling|cold|draining|cleaning|making|dispensing|"
            r"drying|starting|filling|freezing|heating|spinning|latching|closing|turning on|running)|stopped|"
            r"problem|issue|fault|error code|blinking|smells?|warm|frost|ice buildup|too cold|dripping|puddle)\b",
            re.I,
        ),
    ),
    (
        GREETING,
        re.compile(
            r"^\s*(hi|hello|hey|hiya|good (morning|afternoon|evening)|thanks|thank you|thx|cheers|ok(ay)?|great|"
            r"cool|perfect|bye|goodbye)\b[\s!.,a-z]{0,20}$",
            re.I,
        ),
    ),
]

# Checked before the ordered patterns: these phrasings decide on their own.
INSTALL_FIRST = re.compile(r"\bhow (do|can|would|should) i (fit|put in|mount|attach)\b", re.I)
RECOMMEND_FIRST = re.compile(
    r"\b(which|what) (\w+ ){0,3}should i (buy|get|choose|order)\b|\bwhat should i (buy|get)\b|\brecommend|\bsuggest",
    re.I,
)
COMPARE_HINT = re.compile(r"\b(or|better|vs\.?|versus|and)\b", re.I)

SEARCHY = re.compile(
    r"\b(do you (have|sell|carry|stock)|looking for|need an?|i need|searching for|find( me)?|show me|"
    r"where can i (get|find)|what .* do you have|parts? for)\b",
    re.I,
)
FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|also|same for|same question for|what of)\b", re.I)


def match(text: str) -> str | None:
    for intent, pattern in _PATTERNS:
        if pattern.search(text):
            return intent
    return None


def classify(
    text: str,
    *,
    has_part: bool,
    has_symptom: bool,
    has_domain: bool = True,
    previous: str = "",
    two_parts: bool = False,
    part_words: bool = False,
    budget: bool = False,
) -> str:
    """`has_part`: a part named or referred to ("PS…", "it", "the first one", the page's part);
    `part_words`: catalogue part words only ("a door gasket"); `has_symptom`: a known symptom."""
    if INSTALL_FIRST.search(text):
        return INSTALL
    intent = match(text)
    if two_parts and COMPARE_HINT.search(text) and intent in (PRICE_STOCK, PRODUCT_INFO, RECOMMEND, PURCHASE, None):
        return COMPARE
    if RECOMMEND_FIRST.search(text) and intent in (PURCHASE, TROUBLESHOOT, PRICE_STOCK, RECOMMEND, None):
        return RECOMMEND
    if intent == TROUBLESHOOT and has_part and not has_symptom:
        return PRODUCT_INFO
    if intent == GREETING and (has_part or has_symptom or part_words):
        intent = None
    if intent is not None:
        return intent
    if FOLLOW_UP.search(text) and previous in CARRY_OVER:
        return previous
    if has_part:
        return PRODUCT_INFO
    if part_words:
        return SEARCH
    if has_symptom:
        return TROUBLESHOOT
    if has_domain:
        return SEARCH
    return OUT_OF_SCOPE
