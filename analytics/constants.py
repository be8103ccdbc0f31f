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
