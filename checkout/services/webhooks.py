"""Provider webhooks: verify, store once, acknowledge; process later, idempotently, in any order.

Inbound events are not outbox deliveries (core/outbox): processing one is a database change,
not a message to another system. The handler's writes (an order, a refund) commit in the same
transaction as the event's `processed` status, under the event's row lock, so a repeat or a
concurrent worker finds it done; nothing here calls the network, so there is nothing to keep
outside that transaction, and a retry waits for our own rows (`WebhookNotReady`), not for a
receiver to come back.
"""

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from checkout.addresses import address_from_stripe
from checkout.enums import CheckoutStatus
from checkout.error_codes import CheckoutErrorCode
from checkout.exceptions import WebhookInvalid, WebhookNotReady
from checkout.models import CheckoutSession, WebhookEvent
from checkout.providers.stripe_provider import SignatureError, stripe_event_construct
from checkout.services.orders import checkout_session_close_unpaid, order_create_from_session
from checkout.services.refunds import order_refund_reconcile
from checkout.services.subscriptions import subscription_event_apply, subscription_invoice_apply
from core.enums import InboundEventStatus
from core.inbound import inbound_event_store_once
from core.money import from_minor

logger = logging.getLogger(__name__)


def stripe_webhook_receive(*, payload: bytes, signature: str) -> tuple[WebhookEvent, bool]:
    """Verify with Stripe's library and store the event once. Returns (event, newly stored)."""
    if not signature:
        raise WebhookInvalid("Missing Stripe-Signature header.", code=CheckoutErrorCode.SIGNATURE_MISSING)
    try:
        event = stripe_event_construct(payload=payload, signature=signature)
    except SignatureError as exc:
        raise WebhookInvalid(
            "The signature does not match, or its timestamp is not within the tolerance of our clock.",
            code=CheckoutErrorCode.SIGNATURE_INVALID,
        ) from exc
    except ValueError as exc:
        raise WebhookInvalid("The body is not a valid event.", code=CheckoutErrorCode.PAYLOAD_INVALID) from exc
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise WebhookInvalid("The event has no id or type.", code=CheckoutErrorCode.PAYLOAD_INVALID)
    # Every Stripe event carries the object it is about in data.object; the handlers read it so.
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise WebhookInvalid("The event has no data.object.", code=CheckoutErrorCode.PAYLOAD_INVALID)

    from checkout.tasks import webhook_event_process_task

    stored = inbound_event_store_once(
        WebhookEvent,
        process_task=webhook_event_process_task,
        provider="stripe",
        event_id=event["id"][:200],
        type=event["type"][:100],
        payload=event,
    )
    if stored is None:
        return WebhookEvent.objects.get(provider="stripe", event_id=event["id"][:200]), False
    return stored, True


def _session_for(obj: dict) -> CheckoutSession:
    reference = obj.get("client_reference_id") or (obj.get("metadata") or {}).get("checkout_session_id")
    session = CheckoutSession.objects.filter(id=reference).first() if reference else None
    if session is None and obj.get("id"):
        session = CheckoutSession.objects.filter(provider_session_id=obj["id"]).first()
    if session is None:
        # Stripe can deliver before our own row is committed; this is retried, not dropped.
        raise WebhookNotReady(f"no checkout session for {reference or obj.get('id')}")
    return session


def _amount(obj: dict, session: CheckoutSession) -> Decimal | None:
    value = obj.get("amount_total")
    return None if value is None else from_minor(value, obj.get("currency") or session.currency)


def _collected(obj: dict) -> tuple[dict, dict]:
    """(shipping address, contact) Stripe Checkout collected: `collected_information.shipping_details`
    (API 2024-09 on), `shipping_details` (before), `customer_details` for email, name and phone."""
    customer = obj.get("customer_details") if isinstance(obj.get("customer_details"), dict) else {}
    collected = obj.get("collected_information") if isinstance(obj.get("collected_information"), dict) else {}
    shipping = collected.get("shipping_details") or obj.get("shipping_details") or {}
    address = address_from_stripe(shipping, name=customer.get("name") or "")
    contact = {"name": customer.get("name") or "", "email": customer.get("email") or "", "phone": customer.get("phone")}
    return address, contact


def _on_session_paid(obj: dict, event: dict) -> None:
    if obj.get("payment_status") not in ("paid", "no_payment_required"):
        return  # an async method (bank transfer, PIX) is still pending
    session = _session_for(obj)
    if session.provider_session_id != obj.get("id") and obj.get("id") and not session.provider_session_id:
        # A Payment Link made the provider's session: remember its id.
        CheckoutSession.objects.filter(pk=session.pk, provider_session_id="").update(provider_session_id=obj["id"])
    address, contact = _collected(obj)
    order_create_from_session(
        session=session,
        payment_ref=obj.get("payment_intent") or obj.get("invoice") or "",
        amount_paid=_amount(obj, session),
        provider_subscription_id=obj.get("subscription") or "",
        provider_customer_id=obj.get("customer") or "",
        event_created=int(event.get("created") or 0),
        shipping_address=address,
        contact=contact,
    )


def _on_session_failed(obj: dict, event: dict) -> None:
    session = _session_for(obj)
    checkout_session_close_unpaid(
        session=session, status=CheckoutStatus.FAILED, reason="The payment did not go through."
    )


def _on_session_expired(obj: dict, event: dict) -> None:
    session = _session_for(obj)
    checkout_session_close_unpaid(session=session, status=CheckoutStatus.EXPIRED, reason="The checkout link expired.")


def _on_charge_refunded(obj: dict, event: dict) -> None:
    if order_refund_reconcile(charge=obj) is None:
        if not (obj.get("metadata") or {}).get("checkout_session_id"):
            logger.info("charge %s refunded: not a payment made through Parley", obj.get("id"))
            return
        # The refund can be delivered before the payment's own event made the order.
        raise WebhookNotReady(f"no order paid by {obj.get('payment_intent') or obj.get('id')}")


def _on_subscription_changed(obj: dict, event: dict) -> None:
    subscription_event_apply(obj=obj, created=int(event.get("created") or 0))


def _on_subscription_deleted(obj: dict, event: dict) -> None:
    subscription_event_apply(obj=obj, created=int(event.get("created") or 0), deleted=True)


def _on_invoice_paid(obj: dict, event: dict) -> None:
    subscription_invoice_apply(obj=obj, created=int(event.get("created") or 0), paid=True)


def _on_invoice_failed(obj: dict, event: dict) -> None:
    subscription_invoice_apply(obj=obj, created=int(event.get("created") or 0), paid=False)


NOT_READY = "not_ready"
# After this many tries an event that still cannot be matched is marked failed (and logged):
# with the task's own retries and the beat sweep that is more than an hour of waiting.
MAX_ATTEMPTS = 60

HANDLERS = {
    "checkout.session.completed": _on_session_paid,
    "checkout.session.async_payment_succeeded": _on_session_paid,
    "checkout.session.async_payment_failed": _on_session_failed,
    "checkout.session.expired": _on_session_expired,
    "charge.refunded": _on_charge_refunded,
    "invoice.paid": _on_invoice_paid,
    "invoice.payment_failed": _on_invoice_failed,
    "customer.subscription.updated": _on_subscription_changed,
    "customer.subscription.deleted": _on_subscription_deleted,
}


def webhook_event_process(*, webhook_event_id: int) -> str:
    """Run the handler for a stored event; safe to call any number of times, concurrently too."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=webhook_event_id).first()
        if event is None or event.status != InboundEventStatus.RECEIVED:  # done, one way or another
            return event.status if event else "missing"
        handler = HANDLERS.get(event.type)
        event.attempts += 1
        if handler is None:
            logger.info("stripe event %s of type %s ignored", event.event_id, event.type)
            event.status = InboundEventStatus.IGNORED
        else:
            try:
                with transaction.atomic():
                    handler(event.payload.get("data", {}).get("object", {}), event.payload)
            except WebhookNotReady as exc:
                event.error = str(exc)[:1000]
                if event.attempts < MAX_ATTEMPTS:
                    event.save(update_fields=["attempts", "error", "updated_at"])
                    return NOT_READY
                logger.error("stripe event %s gave up after %s attempts: %s", event.event_id, event.attempts, exc)
                event.status = InboundEventStatus.FAILED
            else:
                event.status = InboundEventStatus.PROCESSED
                event.error = ""
        event.processed_at = timezone.now()
        event.save(update_fields=["status", "attempts", "error", "processed_at", "updated_at"])
        return event.status
