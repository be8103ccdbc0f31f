"""Limits and vocabularies of analytics, in one place (each overridable in settings)."""

from datetime import timedelta

from django.conf import settings

from analytics.enums import EventName

# Names a browser may post: what only the client can observe. Everything else (rendered,
# succeeded, paid, …) is server-side truth, written by the services that cause it.
CLIENT_EVENT_NAMES = frozenset(
    {
        EventName.CHAT_OPENED,  # the widget was opened (the server also records a conversation start)
        EventName.ACTION_CLICKED,  # a button press, even one whose request never reached us
        EventName.PAYMENT_LINK_CLICKED,  # the customer followed the checkout link
        EventName.CONVERSATION_ABANDONED,  # the page was closed with the conversation unfinished
    }
)

# The shop's own side of the funnel, sent by its pages' beacon (static/parley/beacon.js) for a
# visitor rather than a conversation: no token, the visitor id is the key. An order counts once
# per order id, whoever reports it (beacon, order webhook, Parley's checkout).
VISITOR_EVENT_NAMES = frozenset({EventName.PRODUCT_VIEWED, EventName.CART_ADDED, EventName.ORDER_COMPLETED})
MAX_ORDER_VALUE = 1_000_000_000
# The widget's visitor id (first-party, random) and a shop's order id, as accepted everywhere.
VISITOR_ID_PATTERN = r"[A-Za-z0-9_-]{8,48}"
ORDER_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"

# The funnel, in order. A conversation counts at a step when it has at least one event of that name.
FUNNEL_STEPS = (
    EventName.CHAT_OPENED,
    EventName.MESSAGE_SENT,
    EventName.PURCHASE_INTENT_DETECTED,
    EventName.PAYMENT_LINK_CLICKED,
    EventName.PAYMENT_COMPLETED,
)

MAX_BATCH = 500
MAX_PROPERTIES_BYTES = 2048


def future_skew() -> timedelta:
    return timedelta(seconds=getattr(settings, "PARLEY_ANALYTICS_MAX_FUTURE_SECONDS", 300))


def max_age() -> timedelta:
    return timedelta(days=getattr(settings, "PARLEY_ANALYTICS_MAX_AGE_DAYS", 7))


def rate_limits() -> tuple[int, int]:
    """(requests, events) a client may send per minute."""
    return (
        getattr(settings, "PARLEY_ANALYTICS_RATE_REQUESTS", 120),
        getattr(settings, "PARLEY_ANALYTICS_RATE_EVENTS", 6000),
    )
