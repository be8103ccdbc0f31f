"""What the assistant refuses: other appliances, prompt injection, invented discounts, small talk."""

import re

from django.conf import settings

from conversations.assistant.vocabulary import APPLIANCE_WORDS

_INJECTION = re.compile(
    r"(ignore (all |any |the )?(previous|prior|above|earlier|your) (instructions|rules|prompts?)|"
    r"disregard (the |your )?(instructions|rules)|system prompt|reveal (your|the) (prompt|instructions)|"
    r"what are your instructions|you are now|act as (?!a customer)|pretend (to be|you are)|jailbreak|developer mode|"
    r"print your (prompt|rules)|repeat the (text|words) above)",
    re.I,
)
_DISCOUNT = re.compile(
    r"(discount|coupon|promo(tion)? code|voucher|free (shipping|part)|give me .*% off|\d+ ?% off|price match)", re.I
)


# General chat the shop does not do, whatever appliance it mentions.
_CHITCHAT = re.compile(
    r"\b(poem|joke|story|song|lyrics|movie|film|weather|capital of|football|soccer|basketball|election|"
    r"president|recipe|horoscope|bitcoin|stock market|homework|\d+\s*[-+*/x]\s*\d+\s*(=|\?|$))",
    re.I,
)


def scope_label() -> str:
    names = [t.replace("_", " ") for t in settings.PARLEY_SHOP_SCOPE]
    return " and ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " and " + names[-1]


def refusal_reason(text: str, appliance_types: list[str]) -> str | None:
    """Why this message is refused, or None when it is the shop's business."""
    if _INJECTION.search(text):
        return "injection"
    if _DISCOUNT.search(text):
        return "discount"
    if _CHITCHAT.search(text):
        return "general"
    allowed = set(settings.PARLEY_SHOP_SCOPE)
    if appliance_types and not (set(appliance_types) & allowed):
        return "appliance"
    return None


def refusal_text(reason: str) -> str:
    scope = scope_label()
    if reason == "discount":
        return (
            "I can't create or promise discounts. Prices and any valid codes are applied at checkout. "
            f"I'm happy to help you find the right {scope} part."
        )
    if reason == "appliance":
        return (
            f"Sorry, I can only help with {scope} parts. "
            "Ask me about a part number, a model number, or a problem with your appliance."
        )
    return (
        f"I can only help with {scope} parts: finding the right part, checking it fits your model, "
        "installing it, and ordering it."
    )


def known_appliance_words() -> frozenset[str]:
    return frozenset(word for words in APPLIANCE_WORDS.values() for word in words)
