"""What the assistant says when it refuses, and how customers reach the shop.

Whether a message is refused is decided by meaning (meaning.py, intents.py): the shop's scope
is the PARLEY_SHOP_SCOPE setting, the none-of-these examples are data.
"""

from email.utils import parseaddr

from django.conf import settings


def scope_label() -> str:
    names = [t.replace("_", " ") for t in settings.PARLEY_SHOP_SCOPE]
    return " and ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " and " + names[-1]


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


def shop_contact_text() -> str:
    return (
        f"You can reach the {settings.PARLEY_SHOP_NAME} team by e-mail at {parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}; "
        "a person answers every message. I can keep helping here with parts, fit, installation and orders."
    )
