"""Checkout sessions: from a confirmed `checkout_now` or a plan payload to a hosted payment page.

Which page: Stripe Checkout when `STRIPE_SECRET_KEY` is set; for plans without a key, a
configured Stripe Payment Link (the price book entry's, else `ACTIVATION_LINK_*` /
`CHAT_PAYMENT_LINK_*` / `CHAT_PAYMENT_LINK` from the environment) carrying our session id
as `client_reference_id`; otherwise the offline test provider's page.
"""

import urllib.parse
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from actions.enums import ActionStatus, ActionTypeName
from actions.exceptions import ActionNotAllowed
from actions.models import Action
from actions.services.clicks import action_click
from actions.services.execution import action_payload_verify
from actions.services.transitions import action_transition
from actions.state_machine import CLICKABLE
from analytics.enums import EventName
from analytics.services import event_record
from catalog import selectors as catalog
from checkout import gateway
from checkout.enums import BundleRule, CheckoutMode, CheckoutStatus
from checkout.error_codes import CheckoutErrorCode
from checkout.exceptions import CheckoutError, PaymentError
from checkout.models import CheckoutSession
from checkout.providers.base import CheckoutLine, CheckoutRequest
from checkout.services.discounts import discount_apply
from checkout.services.pricing import PlanQuote, plan_quote
from core.locks import xact_lock

PAYMENT_LINK = "payment_link"


def chat_return_url(conversation_id: str | None, outcome: str) -> str:
    if not conversation_id:
        return f"{settings.PARLEY_PUBLIC_URL}/?checkout={outcome}"
    return f"{settings.PARLEY_PUBLIC_URL}/?conversation={conversation_id}&checkout={outcome}"


def _expires_at():
    return timezone.now() + timedelta(minutes=settings.CHECKOUT_SESSION_TTL_MINUTES)


def _open_or_expire(session: CheckoutSession | None) -> CheckoutSession | None:
    if session is None:
        return None
    if session.expires_at <= timezone.now():
        CheckoutSession.objects.filter(pk=session.pk, status=CheckoutStatus.OPEN).update(status=CheckoutStatus.EXPIRED)
        return None
    return session


def _normalised_code(code: str | None) -> str:
    return (code or "").strip().upper()


def checkout_session_create_for_action(
    *, action: Action, submitted_payload: dict | None = None, discount_code: str = ""
) -> CheckoutSession:
    """Create (or return the open) checkout session for a `checkout_now` action.

    The part, quantity and price come from the server's copy of the action and the catalogue;
    a discount code is checked and priced here. Asking again returns the open session, unless
    a different discount code is asked for: then the open one is closed and a new one made.
    A provider failure leaves nothing behind but the action marked failed, with the reason.
    """
    action_payload_verify(action=action, submitted_payload=submitted_payload, expected_type=ActionTypeName.CHECKOUT_NOW)
    try:
        return _create_for_action(action=action, discount_code=_normalised_code(discount_code))
    except PaymentError as exc:
        with transaction.atomic():
            action.refresh_from_db()
            if action.status != ActionStatus.FAILED:
                action_transition(action=action, to_status=ActionStatus.FAILED, enabled=False, error=exc.detail)
        raise


_CHAT_CODES = {  # the chat API's codes for the shared rule's problems (kept as they were)
    "not_sold": ("product_unavailable", 409),
    "quantity_invalid": ("quantity_invalid", 400),
    "quantity_exceeded": ("quantity_too_large", 400),
    "out_of_stock": ("out_of_stock", 409),
    "low_stock": ("out_of_stock", 409),
}


def _product_line(action: Action) -> tuple:
    from checkout.services.parts import part_problem

    payload = action.payload
    product = catalog.product_get(ps_number=payload["psNumber"])
    try:
        quantity = int(payload.get("quantity", 1))
    except (TypeError, ValueError):
        quantity = 0
    problem = part_problem(product=product, quantity=quantity)
    if problem is not None:
        code, status_code = _CHAT_CODES[problem.code]
        raise CheckoutError(problem.message, code=code, status_code=status_code)
    return product, quantity


def _create_for_action(*, action: Action, discount_code: str) -> CheckoutSession:
    """Lock, write the pending session, commit; then the provider, with no row locked; then record.

    A slow provider therefore never holds the action (or the customer's conversation) locked.
    An open session asked for again is returned; one whose provider call never got recorded
    (a crash between commit and record, or a request still in flight) is completed with the
    same idempotency key, which the provider answers with the same hosted page.
    """
    for _attempt in range(3):
        session, created, replaced = _reserve_for_action(action=action, discount_code=discount_code)
        if replaced is None:
            break
        _session_close(replaced)  # at the provider, outside the lock; then reserve again
    else:
        raise CheckoutError(
            "This checkout keeps changing; try again shortly.",
            code=CheckoutErrorCode.CHECKOUT_SESSION_OPEN,
            status_code=409,
        )
    if not session.url:
        _provider_start(session, created=created)
        if created:
            _payment_link_generated_for_action(session)
    return session


@transaction.atomic
def _reserve_for_action(
    *, action: Action, discount_code: str
) -> tuple[CheckoutSession | None, bool, CheckoutSession | None]:
    """Under the action's row lock: (session, whether it is new here, an open session to close first)."""
    action = Action.objects.select_for_update(of=("self",)).select_related("conversation__customer").get(pk=action.pk)
    existing = _open_or_expire(
        action.checkout_sessions.filter(status=CheckoutStatus.OPEN)
        .select_related("discount_code")
        .order_by("-created_at")
        .first()
    )
    if existing is not None:
        held = existing.discount_code.code.upper() if existing.discount_code else ""
        if held != discount_code:
            return None, False, existing
        return existing, False, None
    if action.status not in CLICKABLE or not action.enabled:
        raise ActionNotAllowed(
            "This checkout button can no longer be used.", code=CheckoutErrorCode.ACTION_NOT_CLICKABLE
        )

    product, quantity = _product_line(action)
    customer = action.conversation.customer
    subtotal = product.price * quantity
    applied = (
        discount_apply(code=discount_code, currency=product.currency, subtotal=subtotal, customer=customer)
        if discount_code
        else None
    )
    discount = applied.amount if applied else Decimal("0")
    action_click(action=action)
    attempt = action.checkout_sessions.count() + 1
    session = CheckoutSession.objects.create(
        conversation=action.conversation,
        action=action,
        customer=customer,
        provider=gateway.payment_provider().name,
        idempotency_key=f"checkout:{action.id}:{attempt}",
        mode=CheckoutMode.PAYMENT,
        currency=product.currency,
        subtotal=subtotal,
        discount_total=discount,
        discount_code=applied.code if applied else None,
        amount_total=subtotal - discount,
        line_items=[
            {
                "sku": product.ps_number,
                "name": product.name,
                "quantity": quantity,
                "unitPrice": f"{product.price:.2f}",
                "lineTotal": f"{subtotal:.2f}",
            }
        ],
        expires_at=_expires_at(),
    )
    return session, True, None


def _payment_link_generated_for_action(session: CheckoutSession) -> None:
    event_record(
        name=EventName.PAYMENT_LINK_GENERATED,
        conversation_id=session.conversation_id,
        action_type=session.action.type,
        ps_number=session.line_items[0]["sku"],
        properties={
            "checkout_session_id": session.id,
            "amount": f"{session.amount_total:.2f}",
            "discount": f"{session.discount_total:.2f}",
            "discount_code": session.discount_code.code if session.discount_code_id else "",
        },
    )


def _session_close(session: CheckoutSession) -> None:
    """Close an open session we are replacing, at the provider too, so it cannot be paid any more."""
    try:
        closed = gateway.checkout_expire(provider=session.provider, provider_ref=session.provider_session_id)
    except LookupError:
        closed = True  # its provider is gone, so nobody can pay it any more
    if not closed:
        raise CheckoutError(
            "A checkout for this is still open and could not be closed; finish it or try again shortly.",
            code=CheckoutErrorCode.CHECKOUT_SESSION_OPEN,
            status_code=409,
        )
    CheckoutSession.objects.filter(pk=session.pk, status=CheckoutStatus.OPEN).update(
        status=CheckoutStatus.EXPIRED, updated_at=timezone.now()
    )


def _checkout_request(session: CheckoutSession, *, customer_email: str) -> CheckoutRequest:
    """What the provider is asked, from the stored session alone: a repeat (recovery) asks the same."""
    if session.mode == CheckoutMode.SUBSCRIPTION:
        quote = plan_quote(payload=session.plan)
        lines = _plan_lines(quote)
        metadata = {
            "conversation_id": session.conversation_id or "",
            "customer_id": session.customer_id or "",
            "product_type": quote.product_type,
            "email_plan": quote.email_plan or "",
            "chat_plan": quote.chat_plan or "",
            "chat_addon": "true" if quote.chat_addon else "false",
        }
    else:
        lines = tuple(
            CheckoutLine(sku=li["sku"], name=li["name"], quantity=li["quantity"], unit_amount=Decimal(li["unitPrice"]))
            for li in session.line_items
        )
        if session.shipping_total > 0:
            lines += (CheckoutLine(sku="shipping", name="Shipping", quantity=1, unit_amount=session.shipping_total),)
        if session.channel:  # sold through an agent platform
            metadata = {"channel": session.channel}
        else:
            metadata = {
                "conversation_id": session.conversation_id,
                "action_id": session.action_id,
                "customer_id": session.customer_id,
            }
    return CheckoutRequest(
        reference=session.id,
        idempotency_key=session.idempotency_key,
        mode=session.mode,
        currency=session.currency,
        lines=lines,
        amount_total=session.amount_total,
        success_url=chat_return_url(session.conversation_id, "success"),
        cancel_url=chat_return_url(session.conversation_id, "cancel"),
        expires_at=session.expires_at,
        metadata={k: str(v) for k, v in metadata.items() if v},
        customer_email=customer_email,
        discount_amount=session.discount_total,
    )


def _provider_start(session: CheckoutSession, *, created: bool, customer_email: str | None = None) -> None:
    """Ask the provider for the hosted page (no transaction open, no row locked), then record it.

    `created`: this request wrote the pending session. If the provider refuses, that request
    removes the session it wrote (nothing is left behind, and a discount code's use is freed);
    a request completing someone else's pending session leaves it alone and says so.
    """
    if customer_email is None:
        customer_email = session.customer.email if session.customer_id else ""
    try:
        result = gateway.checkout_create(_checkout_request(session, customer_email=customer_email))
    except Exception:  # e.g. payments switched off: as refused, the pending session goes
        if created:
            CheckoutSession.objects.filter(pk=session.pk, url="").delete()
        raise
    if not result.is_success:
        if created:
            CheckoutSession.objects.filter(pk=session.pk, url="").delete()
            raise PaymentError(f"The payment provider could not start checkout: {result.error}")
        raise CheckoutError(
            "This checkout is being prepared; try again in a moment.",
            code=CheckoutErrorCode.CHECKOUT_IN_PROGRESS,
            status_code=409,
        )
    # Record once: a concurrent request that completed the same session got the same page.
    CheckoutSession.objects.filter(pk=session.pk, url="").update(
        provider_session_id=result.provider_ref, url=result.url, updated_at=timezone.now()
    )
    session.refresh_from_db(fields=["provider_session_id", "url", "updated_at"])


# --- Plans (subscriptions) ---------------------------------------------------------------


def plan_payment_link(quote: PlanQuote) -> str:
    """The Payment Link for a quote: the price book entry's, else the environment's (seeds/004 names)."""
    if quote.payment_link:
        return quote.payment_link
    links = settings.CHECKOUT_PAYMENT_LINKS
    link = links.get(quote.payment_link_setting, "")
    if not link and quote.product_type == "chat":
        link = links.get("CHAT_PAYMENT_LINK", "")
    return link


def _plan_lines(quote: PlanQuote) -> tuple[CheckoutLine, ...]:
    if quote.product_type == "bundle" and quote.bundle_rule == BundleRule.LIST_DISCOUNT:
        # Stripe takes no negative lines: the discounted bundle is one recurring price.
        return (
            CheckoutLine(
                sku=f"plan:bundle:{quote.email_plan}",
                name=f"{quote.name} (bundle)",
                quantity=1,
                unit_amount=quote.monthly_price,
            ),
        )
    return tuple(
        CheckoutLine(
            sku=f"plan:{line.kind}:{line.code}",
            name=line.name,
            quantity=1,
            unit_amount=line.monthly_price,
            stripe_price_id=line.stripe_price_id,
        )
        for line in quote.lines
    )


def _with_query(url: str, **params: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query) + [(k, v) for k, v in params.items() if v]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def checkout_session_create_for_plan(
    *, plan: dict, conversation=None, email: str = "", idempotency_key: str = "", discount_code: str = ""
) -> CheckoutSession:
    """A subscription checkout for a plan payload (seeds/004), priced by the server.

    The payload must carry the `calculated_monthly_price` the customer saw; it is compared
    with the price book's, never used. In a conversation, asking again for the same plan
    returns the open session; an `idempotency_key` does the same for anyone. As for parts,
    the provider is called after the pending session commits, with no lock held (the
    conversation's plan lock is held only while choosing and writing the session).
    """
    session, created, customer_email = _reserve_for_plan(
        plan=plan, conversation=conversation, email=email, idempotency_key=idempotency_key, discount_code=discount_code
    )
    if not session.url:
        _provider_start(session, created=created, customer_email=customer_email)
    if created:
        event_record(
            name=EventName.PAYMENT_LINK_GENERATED,
            conversation_id=session.conversation_id or "",
            properties={
                "checkout_session_id": session.id,
                "amount": f"{session.amount_total:.2f}",
                "currency": session.currency,
                "plan": session.plan,
                "provider": session.provider,
            },
        )
    return session


@transaction.atomic
def _reserve_for_plan(
    *, plan: dict, conversation, email: str, idempotency_key: str, discount_code: str
) -> tuple[CheckoutSession, bool, str]:
    """Under the conversation's plan lock (or the key's row lock): (session, whether it is new here, email)."""
    quote = plan_quote(payload=plan, require_price=True)
    if discount_code:
        raise CheckoutError(
            "Discount codes apply to parts; plan prices come from the price book.",
            code=CheckoutErrorCode.DISCOUNT_NOT_APPLICABLE,
            fields={"discount_code": ["Not accepted for plans."]},
        )
    normalised = quote.payload()
    key = f"plan:key:{idempotency_key}" if idempotency_key else ""
    if key:
        previous = CheckoutSession.objects.select_for_update().filter(idempotency_key=key).first()
        if previous is not None:
            if previous.plan != normalised:
                raise CheckoutError(
                    "That Idempotency-Key was used for a different plan.",
                    code=CheckoutErrorCode.IDEMPOTENCY_KEY_REUSED,
                    status_code=409,
                )
            return previous, False, _plan_email(email, previous.customer)
    if conversation is not None:
        # One plan checkout chosen at a time per conversation; a lock of checkout's own (the
        # conversation's row is conversations', and its customer's messages must not wait).
        xact_lock(f"checkout.plan:{conversation.pk}")
        existing = _open_or_expire(
            conversation.checkout_sessions.filter(
                status=CheckoutStatus.OPEN, mode=CheckoutMode.SUBSCRIPTION, plan=normalised
            )
            .order_by("-created_at")
            .first()
        )
        if existing is not None:
            return existing, False, _plan_email(email, existing.customer)
    customer = conversation.customer if conversation is not None else None
    email = _plan_email(email, customer)

    provider = gateway.payment_provider().name
    link = plan_payment_link(quote) if provider != "stripe" else ""
    session = CheckoutSession(
        conversation=conversation,
        customer=customer,
        provider=PAYMENT_LINK if link else provider,
        mode=CheckoutMode.SUBSCRIPTION,
        currency=quote.currency,
        subtotal=quote.monthly_price + quote.discount,
        discount_total=quote.discount,
        amount_total=quote.monthly_price,
        plan=normalised,
        line_items=[
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": 1,
                "unitPrice": f"{line.unit_amount:.2f}",
                "lineTotal": f"{line.unit_amount:.2f}",
            }
            for line in _plan_lines(quote)
        ],
        expires_at=_expires_at(),
    )
    session.idempotency_key = key or f"plan:{session.id}"
    if link:
        # Stripe Payment Links pass `client_reference_id` through to the session and its events.
        session.url = _with_query(link, client_reference_id=session.id, prefilled_email=email)
    session.save(force_insert=True)
    return session, True, email


def _plan_email(email: str, customer) -> str:
    return (email or (customer.email if customer else "")).strip().lower()
