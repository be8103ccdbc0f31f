"""Provider webhooks: verify, store once, acknowledge; process later, idempotently, in any order."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from checkout.enums import CheckoutStatus, WebhookStatus
from checkout.exceptions import WebhookInvalid, WebhookNotReady
from checkout.models import CheckoutSession, WebhookEvent
from checkout.providers.stripe_provider import SignatureError, stripe_event_construct
from checkout.services.notifications import conversation_payment_confirmed, conversation_payment_failed
from checkout.services.orders import checkout_session_close_unpaid, order_create_from_session

logger = logging.getLogger(__name__)


def stripe_webhook_receive(*, payload: bytes, signature: str) -> tuple[WebhookEvent, bool]:
    """Verify with Stripe's library and store the event once. Returns (event, newly stored)."""
    if not signature:
        raise WebhookInvalid("Missing Stripe-Signature header.", code="signature_missing")
    try:
        event = stripe_event_construct(payload=payload, signature=signature)
    except SignatureError as exc:
        raise WebhookInvalid("The signature does not match or is too old.", code="signature_invalid") from exc
    except ValueError as exc:
        raise WebhookInvalid("The body is not a valid event.", code="payload_invalid") from exc
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise WebhookInvalid("The event has no id or type.", code="payload_invalid")

    from checkout.tasks import webhook_event_process_task

    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                provider="stripe", event_id=event["id"][:200], type=event["type"][:100], payload=event
            )
            transaction.on_commit(lambda: webhook_event_process_task.delay(stored.pk))
    except IntegrityError:
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


def _on_session_paid(obj: dict) -> None:
    if obj.get("payment_status") not in ("paid", "no_payment_required"):
        return  # an async method (bank transfer, PIX) is still pending
    session = _session_for(obj)
    order, created = order_create_from_session(session=session, payment_ref=obj.get("payment_intent") or "")
    if created:
        conversation_payment_confirmed(order=order)


def _on_session_failed(obj: dict) -> None:
    session = _session_for(obj)
    if checkout_session_close_unpaid(
        session=session, status=CheckoutStatus.FAILED, reason="The payment did not go through."
    ):
        conversation_payment_failed(session=session, reason="The payment did not go through. You can try again.")


def _on_session_expired(obj: dict) -> None:
    session = _session_for(obj)
    if checkout_session_close_unpaid(
        session=session, status=CheckoutStatus.EXPIRED, reason="The checkout link expired."
    ):
        conversation_payment_failed(
            session=session, reason="The checkout link expired. Press Checkout now for a new one."
        )


def _on_charge_refunded(obj: dict) -> None:
    from checkout.services.refunds import order_refund_reconcile

    if order_refund_reconcile(charge=obj) is None:
        # The refund can be delivered before the payment's own event made the order.
        raise WebhookNotReady(f"no order paid by {obj.get('payment_intent') or obj.get('id')}")


NOT_READY = "not_ready"

HANDLERS = {
    "checkout.session.completed": _on_session_paid,
    "checkout.session.async_payment_succeeded": _on_session_paid,
    "checkout.session.async_payment_failed": _on_session_failed,
    "checkout.session.expired": _on_session_expired,
    "charge.refunded": _on_charge_refunded,
}


def webhook_event_process(*, webhook_event_id: int) -> str:
    """Run the handler for a stored event; safe to call any number of times."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=webhook_event_id).first()
        if event is None or event.status in (WebhookStatus.PROCESSED, WebhookStatus.IGNORED):
            return event.status if event else "missing"
        handler = HANDLERS.get(event.type)
        event.attempts += 1
        if handler is None:
            logger.info("stripe event %s of type %s ignored", event.event_id, event.type)
            event.status = WebhookStatus.IGNORED
        else:
            try:
                with transaction.atomic():
                    handler(event.payload.get("data", {}).get("object", {}))
            except WebhookNotReady as exc:
                event.error = str(exc)
                event.save(update_fields=["attempts", "error", "updated_at"])
                return NOT_READY
            event.status = WebhookStatus.PROCESSED
            event.error = ""
        event.processed_at = timezone.now()
        event.save(update_fields=["status", "attempts", "error", "processed_at", "updated_at"])
        return event.status
