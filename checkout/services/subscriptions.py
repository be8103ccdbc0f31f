"""Subscriptions for plans: started by the paid checkout, then moved only by newer provider events.

Stripe delivers `invoice.paid`, `customer.subscription.updated` and the checkout's
`checkout.session.completed` in no fixed order. Each applied event stamps its `created`
on the row (`state_as_of`); an older event changes nothing. `canceled` is final. The row is
found by the provider's subscription id, or created from our checkout session named in the
subscription's metadata (`checkout_session_id`), whichever event comes first.
"""

from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from checkout.enums import SubscriptionStatus
from checkout.exceptions import WebhookNotReady
from checkout.models import CheckoutSession, Order, Subscription
from checkout.signals import subscription_changed


def _ts(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC) if value else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _from_session(session: CheckoutSession, **values) -> Subscription:
    return Subscription(
        checkout_session=session,
        customer_id=session.customer_id,
        conversation_id=session.conversation_id,
        provider=session.provider,
        plan=session.plan,
        currency=session.currency,
        monthly_price=session.amount_total,
        **values,
    )


def _locked(provider_subscription_id: str, metadata: dict | None) -> Subscription | None:
    """The subscription row, locked; made from our session when this is the first event about it.

    None when the subscription is not one of ours (no row and no session id in its metadata).
    """
    if provider_subscription_id:
        row = Subscription.objects.select_for_update().filter(provider_subscription_id=provider_subscription_id).first()
        if row is not None:
            return row
    reference = (metadata or {}).get("checkout_session_id")
    if not reference:
        return None
    session = CheckoutSession.objects.filter(pk=reference).first()
    if session is None:
        raise WebhookNotReady(f"no checkout session {reference} for subscription {provider_subscription_id}")
    row = Subscription.objects.select_for_update().filter(checkout_session=session).first()
    if row is None:
        try:
            with transaction.atomic():
                row = _from_session(session, provider_subscription_id=provider_subscription_id or None)
                row.save(force_insert=True)
        except IntegrityError as exc:  # another worker made it: retry and find it
            raise WebhookNotReady(f"subscription {provider_subscription_id} is being created") from exc
        row = Subscription.objects.select_for_update().get(pk=row.pk)
    if provider_subscription_id and not row.provider_subscription_id:
        row.provider_subscription_id = provider_subscription_id
        row.save(update_fields=["provider_subscription_id", "updated_at"])
    return row


@transaction.atomic
def subscription_start(
    *,
    session: CheckoutSession,
    order: Order,
    provider_subscription_id: str = "",
    provider_customer_id: str = "",
    event_created: int = 0,
) -> Subscription:
    """The paid plan checkout: the subscription is active unless a newer event already said otherwise."""
    row = _locked(provider_subscription_id, {"checkout_session_id": session.pk})
    row.order = order
    row.checkout_session = session
    if provider_customer_id:
        row.provider_customer_id = provider_customer_id
    if row.status != SubscriptionStatus.CANCELED and event_created >= row.state_as_of:
        row.status = SubscriptionStatus.ACTIVE
        row.state_as_of = event_created
    row.save()
    return row


def _statuses() -> set[str]:
    return set(SubscriptionStatus.values)


def _period_end(obj: dict) -> datetime | None:
    end = obj.get("current_period_end")
    if end is None:  # newer API versions keep the period on the items
        items = ((obj.get("items") or {}).get("data") or [{}])[0]
        end = items.get("current_period_end") if isinstance(items, dict) else None
    return _ts(end)


@transaction.atomic
def subscription_event_apply(*, obj: dict, created: int, deleted: bool = False) -> Subscription | None:
    """`customer.subscription.updated` / `.deleted`. Returns None for a subscription that is not ours."""
    row = _locked(obj.get("id") or "", obj.get("metadata"))
    if row is None:
        return None
    if obj.get("customer"):
        row.provider_customer_id = str(obj["customer"])
    if deleted:
        row.status = SubscriptionStatus.CANCELED
        row.canceled_at = _ts(obj.get("canceled_at") or obj.get("ended_at")) or timezone.now()
        row.state_as_of = max(row.state_as_of, created)
    elif row.status != SubscriptionStatus.CANCELED and created >= row.state_as_of:
        if obj.get("status") in _statuses():
            row.status = obj["status"]
        row.cancel_at_period_end = bool(obj.get("cancel_at_period_end"))
        row.current_period_end = _period_end(obj) or row.current_period_end
        if row.status == SubscriptionStatus.CANCELED:
            row.canceled_at = _ts(obj.get("canceled_at")) or timezone.now()
        row.state_as_of = created
    row.save()
    if deleted:
        subscription_changed.send(sender=Subscription, subscription=row, change="canceled")
    return row


def _invoice_subscription(obj: dict) -> tuple[str, dict]:
    sub = obj.get("subscription")
    metadata = (obj.get("subscription_details") or {}).get("metadata") or {}
    parent = (obj.get("parent") or {}).get("subscription_details") or {}
    if not sub:
        sub = parent.get("subscription")
    metadata = metadata or parent.get("metadata") or {}
    if isinstance(sub, dict):
        metadata = metadata or sub.get("metadata") or {}
        sub = sub.get("id")
    return sub or "", metadata


@transaction.atomic
def subscription_invoice_apply(*, obj: dict, created: int, paid: bool) -> tuple[Subscription | None, bool]:
    """`invoice.paid` / `invoice.payment_failed`: (row or None if not ours, whether the state changed)."""
    provider_subscription_id, metadata = _invoice_subscription(obj)
    if not provider_subscription_id and not metadata:
        return None, False
    row = _locked(provider_subscription_id, metadata)
    if row is None:
        return None, False
    if row.status == SubscriptionStatus.CANCELED or created < row.state_as_of:
        return row, False
    before = (row.status, row.latest_invoice_id, row.last_payment_failed_at)
    row.latest_invoice_id = str(obj.get("id") or row.latest_invoice_id)
    if paid:
        row.status = SubscriptionStatus.ACTIVE
        lines = (obj.get("lines") or {}).get("data") or []
        period = (lines[0].get("period") or {}) if lines and isinstance(lines[0], dict) else {}
        row.current_period_end = _ts(period.get("end")) or row.current_period_end
    else:
        row.status = SubscriptionStatus.PAST_DUE
        row.last_payment_failed_at = _ts(created) or timezone.now()
    row.state_as_of = created
    row.save()
    changed = before != (row.status, row.latest_invoice_id, row.last_payment_failed_at)
    if changed and not paid:
        subscription_changed.send(sender=Subscription, subscription=row, change="payment_failed")
    return row, changed
