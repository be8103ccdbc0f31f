"""ACP checkout sessions: create, update, complete, cancel, and the authoritative body of each.

Every write runs inside `idempotent_execute`'s transaction, so the session change and the
stored response commit together; completing is the exception, as no row stays locked while a
payment provider answers: the session is marked `in_progress` with a checkout `CheckoutSession`
for the priced basket (channel `acp:<platform>`) and committed, the agent's delegated token is
charged through the `PaymentProvider` with that checkout session's idempotency key, then the
answer is recorded in the idempotency transaction and the order made with checkout's order
service: the same stock, discount and attribution rules as the chat's checkout.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agentic import requests as rq
from agentic.enums import OPEN, TERMINAL, AcpStatus, OrderEventType
from agentic.error_codes import AcpErrorCode
from agentic.exceptions import AcpError
from agentic.models import AcpCheckoutSession, AgentPlatform
from agentic.selectors import order_permalink
from agentic.services.cart import Cart, cart_compute
from agentic.services.idempotency import AcpResponse
from agentic.services.webhooks import order_event_record
from checkout import gateway
from checkout.enums import CheckoutStatus
from checkout.exceptions import CheckoutError
from checkout.models import CheckoutSession, Order
from checkout.providers.base import ChargeResult
from checkout.services.discounts import DiscountInvalid
from checkout.services.orders import checkout_session_close_unpaid
from checkout.services.parts import (
    checkout_session_charge_delegated,
    checkout_session_charge_record,
    checkout_session_create_for_parts,
)
from conversations.selectors import customer_get_by_email
from conversations.services.customers import customer_get_or_create_by_email
from core.money import to_minor

PROTOCOL_VERSION = "2026-04-17"
HANDLER_ID = "card_tokenized"
INTERVENTIONS_OFFERED = ["3ds"]
# Discount codes work on every session (create, update, the cart's `discounts`): the spec's
# discount extension is always active, and a response declares it (Capabilities.extensions).
DISCOUNT_EXTENSION = {
    "name": "discount",
    "extends": [
        "$.CheckoutSession.discounts",
        "$.CheckoutSessionCreateRequest.discounts",
        "$.CheckoutSessionUpdateRequest.discounts",
    ],
}


# --- the body ------------------------------------------------------------------------------


def payment_handler() -> dict:
    provider = gateway.payment_provider().name
    is_stripe = provider == "stripe"
    config = {
        "psp": "stripe" if is_stripe else "parley_test",
        "accepted_brands": ["visa", "mastercard", "amex", "discover"],
        "supports_3ds": True,
        "environment": "production" if is_stripe and not settings.STRIPE_SECRET_KEY.startswith("sk_test") else "test",
    }
    if is_stripe and settings.ACP_STRIPE_ACCOUNT_ID:
        config["merchant_id"] = settings.ACP_STRIPE_ACCOUNT_ID
    if not is_stripe:
        config["test_tokens"] = (
            "tok_test_<anything> pays; tok_test_decline… declines; tok_test_3ds… asks for 3-D Secure"
        )
    return {
        "id": HANDLER_ID,
        "name": "dev.acp.tokenized.card",
        "display_name": "Card",
        "version": "2026-01-22",
        "spec": "https://acp.dev/handlers/tokenized.card",
        "requires_delegate_payment": True,
        "requires_pci_compliance": False,
        "psp": config["psp"],
        "config_schema": "https://acp.dev/schemas/handlers/tokenized.card/config.json",
        "instrument_schemas": ["https://acp.dev/schemas/handlers/tokenized.card/instrument.json"],
        "config": config,
    }


def _capabilities(session: AcpCheckoutSession) -> dict:
    interventions = (session.capabilities or {}).get("interventions")
    asked = interventions.get("supported") if isinstance(interventions, dict) else None
    asked = [kind for kind in asked if isinstance(kind, str)] if isinstance(asked, list) else []
    return {
        "payment": {"handlers": [payment_handler()]},
        "interventions": {
            "supported": [kind for kind in INTERVENTIONS_OFFERED if kind in asked],
            "required": [],
            "enforcement": "conditional",
        },
        "extensions": [DISCOUNT_EXTENSION],
    }


def _links() -> list[dict]:
    return [{"type": kind, "url": url} for kind, url in (settings.ACP_LINKS or {}).items() if url]


def _stamp(value) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def authentication_metadata() -> dict:
    acquirer = dict(settings.ACP_3DS_ACQUIRER)
    directory = acquirer.pop("directory_server", "visa")
    return {"acquirer_details": acquirer, "directory_server": directory}


def session_body(session: AcpCheckoutSession, cart: dict) -> dict:
    """The spec's CheckoutSession (with `order` once completed) for a session and its cart."""
    body = {
        "id": session.id,
        "protocol": {"version": PROTOCOL_VERSION},
        "capabilities": _capabilities(session),
        "status": session.status,
        "currency": session.currency.lower(),
        "line_items": cart.get("line_items", []),
        "fulfillment_options": cart.get("fulfillment_options", []),
        "selected_fulfillment_options": cart.get("selected_fulfillment_options", []),
        "totals": cart.get("totals", []),
        "messages": list(session.messages or []) + list(cart.get("messages", [])),
        "links": _links(),
        "created_at": _stamp(session.created_at),
        "updated_at": _stamp(session.updated_at),
    }
    if session.expires_at:
        body["expires_at"] = _stamp(session.expires_at)
    if session.buyer:
        body["buyer"] = session.buyer
    if session.fulfillment_details:
        body["fulfillment_details"] = session.fulfillment_details
    if session.locale:
        body["locale"] = session.locale
    if cart.get("discounts"):
        body["discounts"] = cart["discounts"]
    if session.status == AcpStatus.AUTHENTICATION_REQUIRED and session.authentication_metadata:
        body["authentication_metadata"] = session.authentication_metadata
    if session.order_id:
        order = session.order
        body["order"] = {
            "type": "order",
            "id": order.number,
            "checkout_session_id": session.id,
            "order_number": order.number,
            "permalink_url": order_permalink(number=order.number),
            "status": "manual_review" if order.needs_attention else "confirmed",
        }
    return body


def _customer(buyer: dict | None, *, create: bool = False):
    email = (buyer or {}).get("email") or ""
    if not email:
        return None
    if create:
        name = (buyer.get("full_name") or f"{buyer.get('first_name', '')} {buyer.get('last_name', '')}").strip()
        return customer_get_or_create_by_email(email=email, name=name, phone=buyer.get("phone_number") or "")
    return customer_get_by_email(email=email)


def _compute(session: AcpCheckoutSession, *, customer=None) -> Cart:
    return cart_compute(
        items=session.items,
        currency=session.currency,
        fulfillment_details=session.fulfillment_details,
        selected=session.selected_fulfillment_options,
        discount_codes=session.discount_codes,
        customer=customer if customer is not None else _customer(session.buyer),
    )


def _open_status(session: AcpCheckoutSession, cart: Cart) -> str:
    if session.status == AcpStatus.AUTHENTICATION_REQUIRED and cart.status == AcpStatus.READY_FOR_PAYMENT:
        return AcpStatus.AUTHENTICATION_REQUIRED
    return cart.status


def _is_due(session: AcpCheckoutSession, now=None) -> bool:
    return session.status in OPEN and session.expires_at is not None and session.expires_at <= (now or timezone.now())


EXPIRED_MESSAGE = {
    "type": "info",
    "content_type": "plain",
    "content": "This checkout session has expired; nothing was charged. Start a new one.",
}


def _expire(session: AcpCheckoutSession) -> None:
    """Mark a due session `expired` (in memory; the caller saves): its last cart frozen, with a notice."""
    session.status = AcpStatus.EXPIRED
    session.messages = []
    session.authentication_metadata = None
    session.cart = {**(session.cart or {}), "messages": [EXPIRED_MESSAGE]}


def acp_sessions_expire(*, limit: int = 500) -> int:
    """The sweep: open sessions past `expires_at` become `expired`. Rows another transaction holds
    (an update or a completion right now) are skipped and taken on the next run."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            AcpCheckoutSession.objects.select_for_update(skip_locked=True)
            .filter(status__in=OPEN, expires_at__lte=now)
            .order_by("expires_at")[:limit]
        )
        for session in due:
            _expire(session)
        AcpCheckoutSession.objects.bulk_update(due, ["status", "messages", "authentication_metadata", "cart"])
    return len(due)


def acp_session_view(*, session: AcpCheckoutSession) -> dict:
    """The latest authoritative state: live prices and stock for an open session, the frozen cart otherwise."""
    if _is_due(session):
        _expire(session)  # shown as it is; the sweep (or the next write) stores it
    if session.status in TERMINAL or session.status == AcpStatus.IN_PROGRESS:
        return session_body(session, session.cart)
    try:
        cart = _compute(session)
    except AcpError as exc:
        # The catalogue changed under the session (a part withdrawn): show the last cart, not ready.
        problem = {"type": "error", "code": AcpErrorCode.INVALID, "content_type": "plain", "content": exc.message}
        if exc.param:
            problem["param"] = exc.param
        frozen = dict(session.cart)
        frozen["messages"] = [*frozen.get("messages", []), problem]
        session.status = AcpStatus.NOT_READY_FOR_PAYMENT
        return session_body(session, frozen)
    session.status = _open_status(session, cart)
    return session_body(session, cart.snapshot())


# --- writes ------------------------------------------------------------------------------


def _not_open(session: AcpCheckoutSession, verb: str) -> AcpError:
    return AcpError(
        f"This checkout session is {session.status}; it cannot be {verb}.",
        code=AcpErrorCode(f"checkout_session_{session.status}"),
        status=405,
    )


def _lock(*, platform: AgentPlatform, session_id: str) -> AcpCheckoutSession:
    session = (
        AcpCheckoutSession.objects.select_for_update(of=("self",))
        .select_related("order", "platform")
        .filter(platform=platform, id=str(session_id)[:32])
        .first()
    )
    if session is None:
        raise AcpError("No such checkout session.", code=AcpErrorCode.NOT_FOUND, status=404)
    if _is_due(session):
        _expire(session)  # every write below then refuses it as `expired` (405)
        session.save(update_fields=["status", "messages", "authentication_metadata", "cart", "updated_at"])
    return session


def acp_session_create(*, platform: AgentPlatform, body: dict) -> AcpResponse:
    """POST /checkout_sessions → 201 with the authoritative cart."""
    currency = rq._string(body.get("currency", rq.ABSENT), "$.currency", required=True, max_length=3)
    if len(currency) != 3 or not currency.isalpha():
        raise AcpError("currency is an ISO 4217 code such as usd.", code=AcpErrorCode.INVALID, param="$.currency")
    items = rq.line_items(body.get("line_items", rq.ABSENT))
    buyer = rq.buyer(body["buyer"]) if "buyer" in body else None
    details = rq.fulfillment_details(body["fulfillment_details"]) if "fulfillment_details" in body else None
    capabilities = rq.plain_object(body.get("capabilities", rq.ABSENT), "$.capabilities")
    codes = rq.discount_codes(body)
    locale = rq._string(body.get("locale", rq.ABSENT), "$.locale", max_length=35)
    session = AcpCheckoutSession(
        platform=platform,
        currency=currency.upper(),
        items=items,
        buyer=buyer,
        fulfillment_details=details or None,
        discount_codes=[] if codes is rq.ABSENT else codes,
        capabilities=capabilities,
        affiliate_attribution=rq.plain_object(body.get("affiliate_attribution", rq.ABSENT), "$.affiliate_attribution"),
        metadata=rq.plain_object(body.get("metadata", rq.ABSENT), "$.metadata"),
        locale=locale if isinstance(locale, str) else "",
        expires_at=timezone.now() + timedelta(minutes=settings.ACP_SESSION_TTL_MINUTES),
    )
    cart = _compute(session)
    session.status = cart.status
    session.cart = cart.snapshot()
    session.save(force_insert=True)
    return AcpResponse(status=201, body=session_body(session, session.cart))


def acp_session_update(*, platform: AgentPlatform, session_id: str, body: dict) -> AcpResponse:
    """POST /checkout_sessions/{id} → 200: items, buyer, address, shipping choice, codes."""
    session = _lock(platform=platform, session_id=session_id)
    if session.status in TERMINAL:
        raise _not_open(session, "updated")
    if session.status == AcpStatus.IN_PROGRESS:
        raise _in_progress(session)  # its charge is for this cart; a resumed completion ends it
    if "line_items" in body:
        session.items = rq.line_items(body["line_items"])
    if "buyer" in body:
        session.buyer = rq.buyer(body["buyer"])
    if "fulfillment_details" in body:
        session.fulfillment_details = rq.fulfillment_details(body["fulfillment_details"]) or None
    if "selected_fulfillment_options" in body:
        session.selected_fulfillment_options = rq.selected_fulfillment_options(body["selected_fulfillment_options"])
    codes = rq.discount_codes(body)
    if codes is not rq.ABSENT:
        session.discount_codes = codes
    cart = _compute(session)
    if session.status == AcpStatus.AUTHENTICATION_REQUIRED:
        session.status = AcpStatus.READY_FOR_PAYMENT  # a changed cart needs a fresh payment attempt
        session.authentication_metadata = None
    session.status = _open_status(session, cart)
    session.messages = []  # a declined payment's message is about the cart before this change
    session.cart = cart.snapshot()
    session.save()
    return AcpResponse(status=200, body=session_body(session, session.cart))


def acp_session_cancel(*, platform: AgentPlatform, session_id: str, body: dict) -> AcpResponse:
    """POST /checkout_sessions/{id}/cancel → 200, or 405 once completed or canceled."""
    session = _lock(platform=platform, session_id=session_id)
    if session.status in TERMINAL:
        raise _not_open(session, "canceled")
    if session.status == AcpStatus.IN_PROGRESS:
        raise _in_progress(session)
    trace = body.get("intent_trace") if isinstance(body, dict) else None
    if trace is not None and not isinstance(trace, dict):
        raise AcpError("intent_trace must be an object.", param="$.intent_trace")
    try:
        cart = _compute(session).snapshot()
    except AcpError:
        cart = dict(session.cart)
    cart["messages"] = [{"type": "info", "content_type": "plain", "content": "Checkout session has been canceled."}]
    session.status = AcpStatus.CANCELED
    session.canceled_at = timezone.now()
    session.intent_trace = trace
    session.messages = []
    session.authentication_metadata = None
    session.cart = cart
    session.save()
    return AcpResponse(status=200, body=session_body(session, cart))


def _declined(session: AcpCheckoutSession, cart: dict, text: str) -> AcpResponse:
    session.status = AcpStatus.READY_FOR_PAYMENT  # the cart was ready: pay with another token
    session.authentication_metadata = None
    session.messages = [
        {
            "type": "error",
            "code": AcpErrorCode.PAYMENT_DECLINED,
            "content_type": "plain",
            "content": text,
            "param": "$.payment_data",
            "resolution": "requires_buyer_input",
        }
    ]
    session.cart = cart
    session.save()
    return AcpResponse(
        status=402,
        body={
            "type": "invalid_request",
            "code": AcpErrorCode.PAYMENT_DECLINED,
            "message": text,
            "param": "$.payment_data",
        },
    )


@dataclass
class Charged:
    """What the charge step of a completion hands to its record step (same request, same process)."""

    session_id: str
    checkout_session: CheckoutSession
    result: ChargeResult
    cart: Cart | None  # None when a completion whose process died is resumed: the stored cart stays
    affiliate_attribution: dict | None


def _in_progress(session: AcpCheckoutSession) -> AcpError:
    return AcpError(
        "This checkout session is being completed by another request; retrieve it in a moment.",
        code=AcpErrorCode.CHECKOUT_SESSION_IN_PROGRESS,
        status=409,
        headers={"Retry-After": "2"},
        transient=True,
    )


def _lease_running(session: AcpCheckoutSession) -> bool:
    """An `in_progress` session whose completion may still be waiting for the provider."""
    lease = timedelta(seconds=settings.ACP_COMPLETE_LEASE_SECONDS)
    return session.status == AcpStatus.IN_PROGRESS and session.updated_at > timezone.now() - lease


def _status_before_completing(session: AcpCheckoutSession) -> str:
    # 3-D Secure asked for keeps its metadata until a completion ends; nothing else is pending.
    return AcpStatus.AUTHENTICATION_REQUIRED if session.authentication_metadata else AcpStatus.READY_FOR_PAYMENT


def _same_basket(checkout_session: CheckoutSession, cart: Cart) -> bool:
    lines = [(line["sku"], line["quantity"]) for line in checkout_session.line_items]
    return (
        checkout_session.currency == cart.basket.currency
        and to_minor(checkout_session.amount_total, checkout_session.currency) == cart.total_minor
        and lines == [(line.product.ps_number, line.quantity) for line in cart.basket.lines]
    )


def _checkout_session_for(session: AcpCheckoutSession, cart: Cart, *, platform, customer) -> CheckoutSession:
    """The checkout session this completion charges: the one a completion left open (the provider
    could not be reached) when the basket is the same, so the charge keeps its idempotency key;
    else a new one (the left one closed)."""
    left = session.checkout_session
    if (
        left is not None
        and left.status == CheckoutStatus.OPEN
        and not Order.objects.filter(checkout_session=left).exists()
    ):
        if _same_basket(left, cart):
            return left
        checkout_session_close_unpaid(session=left, status=CheckoutStatus.FAILED, reason="The cart changed.")
    attempt = CheckoutSession.objects.filter(idempotency_key__startswith=f"acp:{session.id}:").count() + 1
    details = session.fulfillment_details or {}
    address = details.get("address") or {}
    buyer = session.buyer or {}
    buyer_name = buyer.get("full_name") or f"{buyer.get('first_name', '')} {buyer.get('last_name', '')}".strip()
    try:
        return checkout_session_create_for_parts(
            items=[(line.product.ps_number, line.quantity) for line in cart.basket.lines],
            currency=session.currency,
            discount_code=cart.applied.code.code if cart.applied else "",
            shipping_total=cart.shipping_amount,
            tax_total=cart.tax_amount,
            shipping_option=cart.shipping_option["id"] if cart.shipping_option else "",
            shipping_address={**address, "name": address.get("name") or details.get("name", "")},
            contact={
                "name": details.get("name") or buyer_name,
                "email": details.get("email") or buyer.get("email", ""),
                "phone": details.get("phone_number") or buyer.get("phone_number", ""),
            },
            channel=platform.channel,
            idempotency_key=f"acp:{session.id}:{attempt}",
            customer=customer,
            hosted=False,
        )
    except DiscountInvalid as exc:
        raise AcpError(exc.detail, code=AcpErrorCode.DISCOUNT_CODE_INVALID, param="$.discounts.codes") from exc
    except CheckoutError as exc:
        raise AcpError(exc.detail, code=exc.code) from exc


@transaction.atomic
def _complete_begin(*, platform: AgentPlatform, session_id: str, body: dict):
    """Step 1, under the session's lock: the checks, the cart, the checkout session to charge, and
    the session marked `in_progress` (a concurrent completion then sees it and waits); committed
    before the provider is asked. Returns an AcpResponse when there is nothing to charge."""
    session = _lock(platform=platform, session_id=session_id)
    if session.status in TERMINAL:
        raise _not_open(session, "completed")
    if _lease_running(session):
        raise _in_progress(session)
    payment = rq.payment_data(body.get("payment_data", rq.ABSENT))
    authentication = rq.authentication_result(body.get("authentication_result", rq.ABSENT))
    if session.status == AcpStatus.IN_PROGRESS:
        # Its completion died while asking the provider: ask again with the same checkout session
        # (the same idempotency key, so the provider answers with the charge it made, if any).
        session.save(update_fields=["updated_at"])  # the lease is this request's now
        return session.checkout_session, payment, authentication, None
    if "buyer" in body:
        session.buyer = rq.buyer(body["buyer"])
    if payment["handler_id"] != HANDLER_ID:
        raise AcpError(
            f"Unknown payment handler {payment['handler_id']!r}; use {HANDLER_ID!r}.",
            code=AcpErrorCode.INVALID,
            param="$.payment_data.handler_id",
        )
    if session.status == AcpStatus.AUTHENTICATION_REQUIRED and authentication is None:
        raise AcpError(
            "This checkout session requires issuer authentication. The request must include 'authentication_result'.",
            code=AcpErrorCode.REQUIRES_3DS,
            param="$.authentication_result",
        )
    customer = _customer(session.buyer, create=True)
    cart = _compute(session, customer=customer)
    shown_total = next((t["amount"] for t in session.cart.get("totals", []) if t["type"] == "total"), None)
    if cart.status != AcpStatus.READY_FOR_PAYMENT or shown_total != cart.total_minor:
        first = next((m for m in cart.messages if m["type"] == "error"), None)
        session.status = cart.status
        session.cart = cart.snapshot()
        session.save()
        if first is not None:
            error = {"type": "invalid_request", "code": first["code"], "message": first["content"]}
            if first.get("param"):
                error["param"] = first["param"]
            return AcpResponse(status=400, body=error)
        return AcpResponse(
            status=400,
            body={
                "type": "invalid_request",
                "code": AcpErrorCode.PRICE_CHANGED,
                "message": "The total changed since the session was last shown; show the buyer the new total "
                "(retrieve the session) and complete again.",
            },
        )
    session.checkout_session = _checkout_session_for(session, cart, platform=platform, customer=customer)
    session.status = AcpStatus.IN_PROGRESS
    session.save()
    return session.checkout_session, payment, authentication, cart


@transaction.atomic
def _complete_abandon(*, session_id: str, checkout_session: CheckoutSession, status: str) -> None:
    """The provider could not be reached: the session back to where it was, its checkout session
    kept open so the next completion asks again with the same idempotency key."""
    AcpCheckoutSession.objects.filter(
        pk=session_id, status=AcpStatus.IN_PROGRESS, checkout_session=checkout_session
    ).update(status=status, updated_at=timezone.now())


def acp_session_complete_charge(*, platform: AgentPlatform, session_id: str, body: dict) -> AcpResponse | Charged:
    """Steps 1 and 2 of POST /checkout_sessions/{id}/complete, with no transaction open (Saleor's
    `complete_checkout`): lock, mark `in_progress` with the checkout session to charge, commit;
    then the delegated charge, with no row locked and the checkout session's idempotency key.
    `acp_session_complete_record` records the answer.

    Two concurrent completions make one charge by state, not by a held lock: the second finds
    the session `in_progress` and is told 409 `checkout_session_in_progress` (Retry-After). A
    completion whose process died is resumed by the next one after ACP_COMPLETE_LEASE_SECONDS,
    with the same key, so the provider answers with the charge already made.
    """
    begun = _complete_begin(platform=platform, session_id=session_id, body=body)
    if isinstance(begun, AcpResponse):
        return begun
    checkout_session, payment, authentication, cart = begun
    session = AcpCheckoutSession.objects.get(pk=session_id)
    status_before = _status_before_completing(session)
    try:
        result = checkout_session_charge_delegated(
            session=checkout_session,
            token=payment["token"],
            authentication=authentication,
            description=f"{settings.PARLEY_SHOP_NAME} order via {platform.name}",
        )
    except CheckoutError as exc:
        _complete_abandon(session_id=session_id, checkout_session=checkout_session, status=status_before)
        raise AcpError(exc.detail, code=exc.code) from exc
    if result.status == "error":
        _complete_abandon(session_id=session_id, checkout_session=checkout_session, status=status_before)
        raise AcpError(
            "The payment provider could not be reached; nothing was charged. Try again.",
            code=AcpErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
            type="service_unavailable",
            status=503,
        )
    attribution = body.get("affiliate_attribution")
    return Charged(
        session_id=session_id,
        checkout_session=checkout_session,
        result=result,
        cart=cart,
        affiliate_attribution=attribution if isinstance(attribution, dict) else None,
    )


def acp_session_complete_record(*, platform: AgentPlatform, charged: AcpResponse | Charged) -> AcpResponse:
    """Step 3 of a completion, under the session's lock (in the idempotency record's transaction):
    the provider's answer recorded → 200 with the order, 402 `payment_declined` (the session
    shows the message; pay with another token), 400 `requires_3ds` (authenticate with
    `authentication_metadata`, then complete again with `authentication_result`). The answers
    of step 1 (400 with the cart's error code when it is not ready, `price_changed` when the
    total moved since it was last shown, 405 once completed or canceled) pass through."""
    if isinstance(charged, AcpResponse):
        return charged
    session = _lock(platform=platform, session_id=charged.session_id)
    if session.status != AcpStatus.IN_PROGRESS or session.checkout_session_id != charged.checkout_session.pk:
        # Our lease ran out while the provider answered and another completion took over: it records.
        raise _not_open(session, "completed") if session.status in TERMINAL else _in_progress(session)
    result, checkout_session = charged.result, charged.checkout_session
    cart = charged.cart
    snapshot = cart.snapshot() if cart is not None else session.cart
    order = checkout_session_charge_record(session=checkout_session, result=result)
    if result.status == "requires_authentication":
        checkout_session_close_unpaid(
            session=checkout_session, status=CheckoutStatus.FAILED, reason="3-D Secure authentication required"
        )
        session.status = AcpStatus.AUTHENTICATION_REQUIRED
        session.authentication_metadata = authentication_metadata()
        session.messages = []
        session.cart = snapshot
        session.save()
        return AcpResponse(
            status=400,
            body={
                "type": "invalid_request",
                "code": AcpErrorCode.REQUIRES_3DS,
                "message": "The card issuer requires 3-D Secure. Authenticate the buyer with the session's "
                "authentication_metadata, then complete again with 'authentication_result'.",
                "param": "$.authentication_result",
            },
        )
    if order is None:
        return _declined(session, snapshot, result.error or "The payment was declined.")

    session.status = AcpStatus.COMPLETED
    session.order = order
    session.completed_at = timezone.now()
    session.messages = []
    session.authentication_metadata = None
    session.cart = snapshot
    if charged.affiliate_attribution is not None:
        session.affiliate_attribution = {**(session.affiliate_attribution or {}), "last": charged.affiliate_attribution}
    session.save()
    order_event_record(order=order, event_type=OrderEventType.ORDER_CREATE)
    return AcpResponse(status=200, body=session_body(session, session.cart))
