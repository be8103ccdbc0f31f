"""Reads for the agentic app: sessions by platform, order permalinks."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from agentic.models import AcpCheckoutSession, AgentPlatform

ORDER_LINK_SALT = "agentic.order-permalink"


def acp_session_get(*, platform: AgentPlatform, session_id: str) -> AcpCheckoutSession | None:
    """A platform sees only its own sessions (another platform's id is simply not found)."""
    return (
        AcpCheckoutSession.objects.select_related("order", "platform")
        .filter(platform=platform, id=str(session_id)[:32])
        .first()
    )


def order_permalink(*, number: str) -> str:
    """The buyer's page for an order: a signed, unguessable link (`/orders/<token>/`)."""
    token = signing.dumps(number, salt=ORDER_LINK_SALT, compress=True)
    return settings.PARLEY_PUBLIC_URL.rstrip("/") + reverse("agentic-order-page", kwargs={"token": token})


def order_number_from_token(*, token: str) -> str | None:
    try:
        return signing.loads(token, salt=ORDER_LINK_SALT)
    except signing.BadSignature:
        return None
