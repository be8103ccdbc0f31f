"""Subscribing (from the chat button or directly), confirming the opt-in, unsubscribing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from actions.enums import ActionStatus, ActionTypeName
from actions.models import Action
from actions.services.clicks import action_click
from actions.services.execution import action_payload_verify
from actions.services.transitions import action_transition
from alerts.contacts import contact_normalise
from alerts.enums import AlertChannel, SubscriptionStatus
from alerts.error_codes import AlertErrorCode
from alerts.exceptions import AlertError
from alerts.models import BackInStockSubscription
from analytics.enums import EventName
from analytics.services import event_record
from catalog import selectors as catalog_selectors
from core.exceptions import ApplicationError, NotFound
from core.outbound import outbound_channel_get
from core.ratelimit import rate_limit_hit

logger = logging.getLogger(__name__)

LIVE_STATUSES = (SubscriptionStatus.PENDING, SubscriptionStatus.ACTIVE)
# A repeated request for a pending subscription re-sends the opt-in message, at most this often.
CONFIRMATION_RESEND_SECONDS = 60
# Refusals the customer cannot fix by trying again: the button is disabled with the error.
_FINAL_CODES = frozenset(
    {AlertErrorCode.PRODUCT_IN_STOCK, AlertErrorCode.PRODUCT_NOT_FOUND, AlertErrorCode.CHANNEL_UNAVAILABLE}
)


@dataclass(frozen=True)
class SubscribeResult:
    subscription: BackInStockSubscription
    created: bool
    # The caller proved the contact is theirs (the open chat, a verified or signed-in address):
    # only then may the answer say whether it was already subscribed.
    verified: bool = False


def _channel_check(channel: str) -> None:
    if channel in (AlertChannel.EMAIL, AlertChannel.WEB):
        return  # Django's email backend is always there; web is the open chat
    outbound = outbound_channel_get(channel)
    if outbound is None or not outbound.is_configured():
        label = AlertChannel(channel).label
        raise AlertError(
            f"Alerts by {label} are not available in this shop; please choose email.",
            code=AlertErrorCode.CHANNEL_UNAVAILABLE,
            fields={"channel": [f"{label} is not available."]},
        )


def _is_verified(*, channel: str, contact: str, conversation, user) -> bool:
    """Active at once: the open chat itself, a signed-in customer's own address, or a contact this
    conversation's customer has already verified. Everyone else confirms by a signed link."""
    if channel == AlertChannel.WEB:
        return True
    customers = []
    if conversation is not None and conversation.customer_id:
        customers.append(conversation.customer)
    if user is not None and getattr(user, "is_authenticated", False):
        if channel == AlertChannel.EMAIL and (user.email or "").strip().lower() == contact:
            return True
        linked = getattr(user, "customer", None) if hasattr(user, "customer") else None
        if linked is not None:
            customers.append(linked)
    for customer in customers:
        if channel == AlertChannel.EMAIL and customer.email_verified and customer.email.strip().lower() == contact:
            return True
        if channel in (AlertChannel.SMS, AlertChannel.WHATSAPP) and customer.phone_verified:
            from alerts.contacts import phone_normalise

            try:
                if phone_normalise(customer.phone) == contact:
                    return True
            except ApplicationError:
                continue
    return False


def _product_for_alert(ps_number: str):
    product = catalog_selectors.product_sellable_get(ps_number=ps_number)
    if product is None:
        raise NotFound(f"There is no part {ps_number} in this shop.", code=AlertErrorCode.PRODUCT_NOT_FOUND)
    if product.in_stock:
        raise AlertError(
            f"{product.ps_number} is in stock: it can be bought now, no alert needed.",
            code=AlertErrorCode.PRODUCT_IN_STOCK,
            status_code=409,
        )
    return product


def _rate_limits(*, ip: str, channel: str, contact: str) -> None:
    if ip:
        rate_limit_hit(
            scope="ip",
            key=ip,
            rate=settings.ALERTS_RATE_LIMIT_PER_IP,
            detail="Too many alert requests from this address.",
        )
    if contact:
        rate_limit_hit(
            scope="contact",
            key=f"{channel}:{contact}",
            rate=settings.ALERTS_RATE_LIMIT_PER_CONTACT,
            detail="Too many alert requests for this contact.",
        )


def back_in_stock_subscribe(
    *,
    ps_number: str,
    channel: str,
    contact: str,
    conversation=None,
    user=None,
    action: Action | None = None,
    ip: str = "",
) -> SubscribeResult:
    """One live subscription per part + channel + contact: a repeat returns the existing one.

    Rate limits are counted first (per IP, then per normalised contact), so a flood is refused
    before anything is looked up or written.
    """
    if ip:
        _rate_limits(ip=ip, channel=channel, contact="")
    normalised = contact_normalise(
        channel=channel, contact=contact, conversation_id=conversation.id if conversation is not None else ""
    )
    _rate_limits(ip="", channel=channel, contact=normalised)
    product = _product_for_alert(ps_number)
    _channel_check(channel)
    verified = _is_verified(channel=channel, contact=normalised, conversation=conversation, user=user)
    customer = conversation.customer if conversation is not None else None
    if customer is None and user is not None and getattr(user, "is_authenticated", False):
        customer = getattr(user, "customer", None) if hasattr(user, "customer") else None
    return _subscribe(
        product=product,
        channel=channel,
        contact=normalised,
        verified=verified,
        customer=customer,
        conversation=conversation,
        action=action,
    )


@transaction.atomic
def _subscribe(*, product, channel, contact, verified, customer, conversation, action) -> SubscribeResult:
    now = timezone.now()
    existing = (
        BackInStockSubscription.objects.select_for_update(of=("self",))
        .filter(product=product, channel=channel, contact=contact, status__in=LIVE_STATUSES)
        .first()
    )
    if existing is not None:
        return SubscribeResult(
            subscription=_repeat(existing, verified=verified, now=now), created=False, verified=verified
        )
    subscription = BackInStockSubscription(
        product=product,
        channel=channel,
        contact=contact,
        customer=customer,
        conversation=conversation,
        action=action,
        status=SubscriptionStatus.ACTIVE if verified else SubscriptionStatus.PENDING,
        confirmed_at=now if verified else None,
        confirmation_sent_at=None if verified else now,
    )
    try:
        with transaction.atomic():
            subscription.save(force_insert=True)
    except IntegrityError:
        # A concurrent request for the same contact won: return its subscription.
        existing = BackInStockSubscription.objects.filter(
            product=product, channel=channel, contact=contact, status__in=LIVE_STATUSES
        ).first()
        if existing is None:
            raise
        return SubscribeResult(subscription=existing, created=False, verified=verified)
    if not verified:
        _confirmation_send_on_commit(subscription.id)
    event_record(
        name=EventName.ALERT_SUBSCRIBED,
        conversation_id=conversation.id if conversation is not None else "",
        action_type=action.type if action is not None else "",
        ps_number=product.ps_number,
        properties={"channel": channel, "status": subscription.status, "subscription_id": subscription.id},
        event_id=f"alert_subscribed:{subscription.id}",
    )
    return SubscribeResult(subscription=subscription, created=True, verified=verified)


def _repeat(existing: BackInStockSubscription, *, verified: bool, now) -> BackInStockSubscription:
    if existing.status != SubscriptionStatus.PENDING:
        return existing
    if verified:
        existing.status = SubscriptionStatus.ACTIVE
        existing.confirmed_at = now
        existing.save(update_fields=["status", "confirmed_at", "updated_at"])
    elif existing.confirmation_sent_at is None or existing.confirmation_sent_at < now - timedelta(
        seconds=CONFIRMATION_RESEND_SECONDS
    ):
        existing.confirmation_sent_at = now
        existing.save(update_fields=["confirmation_sent_at", "updated_at"])
        _confirmation_send_on_commit(existing.id)
    return existing


def _confirmation_send_on_commit(subscription_id: str) -> None:
    from alerts.services.confirmations import subscription_confirmation_enqueue

    subscription_confirmation_enqueue(subscription_id=subscription_id)


def back_in_stock_subscribe_for_action(
    *,
    action: Action,
    contact: str,
    channel: str | None = None,
    submitted_payload: dict | None = None,
    user=None,
    ip: str = "",
) -> SubscribeResult:
    """The `notify_when_in_stock` button: the action must be this conversation's (the caller checked the
    token) and of that type, its payload unchanged; it becomes succeeded, or failed with the error."""
    action_payload_verify(
        action=action, submitted_payload=submitted_payload, expected_type=ActionTypeName.NOTIFY_WHEN_IN_STOCK
    )
    action.refresh_from_db()
    subscription_id = (action.result or {}).get("subscription_id")
    if action.status == ActionStatus.SUCCEEDED and subscription_id:
        # The same button pressed again (a retried request): the answer it already had.
        existing = BackInStockSubscription.objects.filter(id=subscription_id).first()
        if existing is not None:
            verified = _is_verified(
                channel=existing.channel, contact=existing.contact, conversation=action.conversation, user=user
            )
            return SubscribeResult(subscription=existing, created=False, verified=verified)
    channel = channel or action.payload.get("channel") or AlertChannel.EMAIL
    try:
        with transaction.atomic():
            action_click(action=action)
            result = back_in_stock_subscribe(
                ps_number=action.payload["psNumber"],
                channel=channel,
                contact=contact,
                conversation=action.conversation,
                user=user,
                action=action,
                ip=ip,
            )
            action_transition(
                action=action,
                to_status=ActionStatus.SUCCEEDED,
                enabled=False,
                result={"subscription_id": result.subscription.id, "status": result.subscription.status},
            )
            return result
    except ApplicationError as exc:
        _action_fail(action=action, error=exc)
        raise


def _action_fail(*, action: Action, error: ApplicationError) -> None:
    """Record the refusal on the button (in a transaction of its own: the attempt itself rolled back)."""
    try:
        with transaction.atomic():
            action_click(action=action)
            action_transition(
                action=action,
                to_status=ActionStatus.FAILED,
                enabled=error.code not in _FINAL_CODES,
                error=error.detail,
                note=error.code,
            )
    except ApplicationError:
        logger.info("action %s could not be marked failed (%s)", action.id, error.code)


@transaction.atomic
def subscription_confirm(*, subscription_id: str) -> BackInStockSubscription:
    """The double opt-in link was followed. Confirming twice is harmless."""
    subscription = (
        BackInStockSubscription.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(id=subscription_id)
        .first()
    )
    if subscription is None:
        raise NotFound("This alert no longer exists.", code=AlertErrorCode.SUBSCRIPTION_NOT_FOUND)
    if subscription.status == SubscriptionStatus.PENDING:
        subscription.status = SubscriptionStatus.ACTIVE
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["status", "confirmed_at", "updated_at"])
        event_record(
            name=EventName.ALERT_SUBSCRIBED,
            conversation_id=subscription.conversation_id or "",
            ps_number=subscription.product.ps_number,
            properties={"channel": subscription.channel, "status": "active", "subscription_id": subscription.id},
            event_id=f"alert_confirmed:{subscription.id}",
        )
    return subscription


@transaction.atomic
def subscription_unsubscribe(*, subscription_id: str) -> BackInStockSubscription:
    """One click, no login: the signed link is the proof. Unsubscribing twice is harmless.

    Notices not yet sent to it are cancelled when a worker claims them (the claim re-checks).
    """
    subscription = (
        BackInStockSubscription.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(id=subscription_id)
        .first()
    )
    if subscription is None:
        raise NotFound("This alert no longer exists.", code=AlertErrorCode.SUBSCRIPTION_NOT_FOUND)
    if subscription.status in LIVE_STATUSES or subscription.status == SubscriptionStatus.NOTIFIED:
        subscription.status = SubscriptionStatus.UNSUBSCRIBED
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["status", "unsubscribed_at", "updated_at"])
    return subscription


@transaction.atomic
def subscriptions_unsubscribe_phone(*, phone: str) -> int:
    """The number said STOP (on WhatsApp): every live alert to it, on WhatsApp or SMS, ends.

    Returns how many ended. Notices not sent yet are cancelled when a worker claims them."""
    return BackInStockSubscription.objects.filter(
        contact=phone, channel__in=(AlertChannel.WHATSAPP, AlertChannel.SMS), status__in=LIVE_STATUSES
    ).update(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=timezone.now(), updated_at=timezone.now())
