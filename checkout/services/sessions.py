"""Checkout sessions: from a confirmed `checkout_now` to a provider's hosted payment page."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from actions.enums import ActionStatus
from actions.exceptions import ActionNotAllowed
from actions.lifecycle import CLICKABLE
from actions.models import Action
from actions.services.clicks import action_click
from actions.services.execution import action_payload_verify
from actions.services.lifecycle import action_transition
from analytics.enums import EventName
from analytics.services import event_record
from catalog import selectors as catalog
from checkout import gateway
from checkout.enums import CheckoutMode, CheckoutStatus
from checkout.exceptions import CheckoutError, PaymentError
from checkout.models import CheckoutSession
from checkout.providers.base import CheckoutLine, CheckoutRequest


def chat_return_url(conversation_id: str, outcome: str) -> str:
    return f"{settings.PARLEY_PUBLIC_URL}/?conversation={conversation_id}&checkout={outcome}"


def _reusable_session(action: Action) -> CheckoutSession | None:
    session = action.checkout_sessions.filter(status=CheckoutStatus.OPEN).order_by("-created_at").first()
    if session is None:
        return None
    if session.expires_at <= timezone.now():
        CheckoutSession.objects.filter(pk=session.pk, status=CheckoutStatus.OPEN).update(status=CheckoutStatus.EXPIRED)
        return None
    return session


def checkout_session_create_for_action(*, action: Action, submitted_payload: dict | None = None) -> CheckoutSession:
    """Create (or return the open) checkout session for a `checkout_now` action.

    The part, quantity and price come from the server's copy of the action and the catalogue.
    A provider failure leaves nothing behind but the action marked failed, with the reason.
    """
    action_payload_verify(action=action, submitted_payload=submitted_payload, expected_type="checkout_now")
    try:
        return _create(action=action)
    except PaymentError as exc:
        with transaction.atomic():
            action.refresh_from_db()
            if action.status != ActionStatus.FAILED:
                action_transition(action=action, to_status=ActionStatus.FAILED, enabled=False, error=exc.detail)
        raise


@transaction.atomic
def _create(*, action: Action) -> CheckoutSession:
    action = Action.objects.select_for_update(of=("self",)).select_related("conversation__customer").get(pk=action.pk)
    existing = _reusable_session(action)
    if existing is not None:
        return existing
    if action.status not in CLICKABLE or not action.enabled:
        raise ActionNotAllowed("This checkout button can no longer be used.", code="action_not_clickable")

    payload = action.payload
    product = catalog.product_get(ps_number=payload["psNumber"])
    quantity = int(payload.get("quantity", 1))
    if product is None or product.appliance_type not in settings.PARLEY_SHOP_SCOPE:
        raise CheckoutError("That part is not sold here.", code="product_unavailable", status_code=409)
    if not product.in_stock or product.stock_quantity < quantity:
        raise CheckoutError(
            f"Only {product.stock_quantity} of {product.ps_number} in stock."
            if product.in_stock
            else f"{product.ps_number} is out of stock.",
            code="out_of_stock",
            status_code=409,
        )
    if quantity > settings.PARLEY_MAX_QUANTITY:
        raise CheckoutError(f"At most {settings.PARLEY_MAX_QUANTITY} per order.", code="quantity_too_large")

    action_click(action=action)
    subtotal = product.price * quantity
    attempt = action.checkout_sessions.count() + 1
    session = CheckoutSession.objects.create(
        conversation=action.conversation,
        action=action,
        customer=action.conversation.customer,
        provider=gateway.payment_provider().name,
        idempotency_key=f"checkout:{action.id}:{attempt}",
        mode=CheckoutMode.PAYMENT,
        currency=product.currency,
        subtotal=subtotal,
        amount_total=subtotal,
        line_items=[
            {
                "sku": product.ps_number,
                "name": product.name,
                "quantity": quantity,
                "unitPrice": f"{product.price:.2f}",
                "lineTotal": f"{subtotal:.2f}",
            }
        ],
        expires_at=timezone.now() + timedelta(minutes=settings.CHECKOUT_SESSION_TTL_MINUTES),
    )
    result = gateway.checkout_create(
        CheckoutRequest(
            reference=session.id,
            idempotency_key=session.idempotency_key,
            mode=session.mode,
            currency=session.currency,
            lines=(
                CheckoutLine(sku=product.ps_number, name=product.name, quantity=quantity, unit_amount=product.price),
            ),
            amount_total=session.amount_total,
            success_url=chat_return_url(action.conversation_id, "success"),
            cancel_url=chat_return_url(action.conversation_id, "cancel"),
            expires_at=session.expires_at,
            metadata={
                "conversation_id": action.conversation_id,
                "action_id": action.id,
                "customer_id": action.conversation.customer_id,
            },
            customer_email=action.conversation.customer.email,
        )
    )
    if not result.is_success:
        raise PaymentError(f"The payment provider could not start checkout: {result.error}")
    session.provider_session_id = result.provider_ref
    session.url = result.url
    session.save(update_fields=["provider_session_id", "url", "updated_at"])
    event_record(
        name=EventName.PAYMENT_LINK_GENERATED,
        conversation_id=action.conversation_id,
        action_type=action.type,
        ps_number=product.ps_number,
        properties={"checkout_session_id": session.id, "amount": f"{session.amount_total:.2f}"},
    )
    return session
