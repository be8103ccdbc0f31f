"""Reads for the agentic app: sessions by platform, what a platform sold, order permalinks."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from agentic.models import AcpCheckoutSession, AgentPlatform
from checkout import selectors as checkout_selectors
from checkout.error_codes import CheckoutErrorCode
from core.error_codes import CoreErrorCode
from core.exceptions import ApplicationError, NotFound

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


def agent_order_status(*, channel: str, checkout_id: str = "", order_number: str = "") -> dict:
    """Where a checkout link or an order sold through `channel` stands (another channel's is not found).

    By checkout id: the link's status (open, complete, expired, failed) and the order once paid.
    By order number: the order."""
    checkout_id, order_number = checkout_id.strip(), order_number.strip()
    if not checkout_id and not order_number:
        raise ApplicationError("Give a checkout id or an order number.", code=CoreErrorCode.INVALID_REQUEST)
    answer: dict = {}
    if checkout_id:
        session = checkout_selectors.checkout_session_for_channel(session_id=checkout_id, channel=channel)
        if session is None:
            raise NotFound(f"No checkout {checkout_id} of yours.", code=CheckoutErrorCode.NOT_FOUND)
        answer["checkout"] = {
            "sessionId": session.id,
            "status": session.status,
            "total": f"{session.amount_total:.2f}",
            "currency": session.currency,
            "expiresAt": session.expires_at.isoformat(),
        }
        order = checkout_selectors.order_for_channel(channel=channel, checkout_session_id=session.id)
    else:
        order = checkout_selectors.order_for_channel(channel=channel, number=order_number)
        if order is None:
            raise NotFound(f"No order {order_number} of yours.", code=CheckoutErrorCode.ORDER_NOT_FOUND)
    answer["order"] = (
        {
            "number": order.number,
            "status": order.status,
            "statusText": order.get_status_display(),
            "total": f"{order.total:.2f}",
            "refunded": f"{order.refunded_total:.2f}",
            "currency": order.currency,
            "placedAt": order.created_at.isoformat(),
            "fulfilment": order.fulfilment_status,
            "carrier": order.carrier,
            "trackingNumber": order.tracking_number,
            "trackingUrl": order.tracking_url,
            "permalinkUrl": order_permalink(number=order.number),
        }
        if order is not None
        else None
    )
    return answer
