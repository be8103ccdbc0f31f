"""A hosted checkout link for a basket of parts, as the agent doors without a protocol of their own
give it (GPT actions, the MCP server): one service, so both answer and attribute the same way."""

from django.conf import settings

from checkout.services.parts import checkout_session_create_for_parts
from conversations.services.customers import customer_get_or_create_by_email


def checkout_link_create(
    *, channel: str, items: list[tuple[str, int]], idempotency_key: str, email: str = "", discount_code: str = ""
) -> dict:
    """Reserve the basket and start the provider's hosted page; the answer an agent shows its user.

    `channel` is who sold it (`gpt:<platform>`, `mcp:<platform>`): the order made when the link is
    paid carries it. The same `idempotency_key` gives back the same session (an agent's retry)."""
    email = email.strip()
    session = checkout_session_create_for_parts(
        items=items,
        channel=channel,
        idempotency_key=idempotency_key,
        discount_code=discount_code.strip(),
        customer=customer_get_or_create_by_email(email=email) if email else None,
        email=email,
        hosted=True,
    )
    url = session.url
    if url.startswith("/"):
        url = settings.PARLEY_PUBLIC_URL.rstrip("/") + url
    return {
        "checkoutUrl": url,
        "sessionId": session.id,
        "expiresAt": session.expires_at.isoformat(),
        "currency": session.currency,
        "subtotal": f"{session.subtotal:.2f}",
        "discount": f"{session.discount_total:.2f}",
        "total": f"{session.amount_total:.2f}",
        "lines": session.line_items,
    }
