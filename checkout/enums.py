from django.db import models


class PriceKind(models.TextChoices):
    EMAIL_PLAN = "email_plan", "Email plan"
    CHAT_PLAN = "chat_plan", "Standalone chat plan"
    CHAT_ADDON = "chat_addon", "Chat add-on (by email tier)"


class BundleRule(models.TextChoices):
    ADDON_TABLE = "addon_table", "Email plan + add-on price for its tier"
    LIST_DISCOUNT = "list_discount", "Email plan + chat list price, less a percentage"


class CheckoutMode(models.TextChoices):
    PAYMENT = "payment", "One-off payment"
    SUBSCRIPTION = "subscription", "Subscription"


class CheckoutStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETE = "complete", "Complete"
    EXPIRED = "expired", "Expired"
    FAILED = "failed", "Failed"


class OrderStatus(models.TextChoices):
    PAID = "paid", "Paid"
    REFUNDED = "refunded", "Refunded"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    CANCELED = "canceled", "Canceled"


class FulfilmentStatus(models.TextChoices):
    """Where the parcel stands; apart from the payment (`OrderStatus`). Moves only through
    `order_fulfilment_transition` (checkout/services/fulfilment.py), along `FULFILMENT_NEXT`."""

    UNFULFILLED = "unfulfilled", "Unfulfilled"
    PACKED = "packed", "Packed"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"
    NOT_REQUIRED = "not_required", "Nothing to ship"


FULFILMENT_NEXT = {
    FulfilmentStatus.UNFULFILLED: (FulfilmentStatus.PACKED, FulfilmentStatus.CANCELLED),
    FulfilmentStatus.PACKED: (FulfilmentStatus.SHIPPED, FulfilmentStatus.CANCELLED),
    FulfilmentStatus.SHIPPED: (FulfilmentStatus.DELIVERED,),
    FulfilmentStatus.DELIVERED: (),
    FulfilmentStatus.CANCELLED: (),
    FulfilmentStatus.NOT_REQUIRED: (),
}


class OrderSource(models.TextChoices):
    CONVERSATIONAL = "conversational", "Conversational"
    TRADITIONAL = "traditional", "Traditional"
    AGENTIC = "agentic", "Agentic (an AI agent platform)"


class DiscountKind(models.TextChoices):
    PERCENT = "percent", "Percentage"
    FIXED = "fixed", "Fixed amount"


class RefundStatus(models.TextChoices):
    # Written before the provider is asked (no lock held across the call); not money back yet.
    REQUESTED = "requested", "Requested (asking the provider)"
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class SubscriptionStatus(models.TextChoices):
    INCOMPLETE = "incomplete", "Incomplete"
    ACTIVE = "active", "Active"
    TRIALING = "trialing", "Trialing"
    PAST_DUE = "past_due", "Past due"
    UNPAID = "unpaid", "Unpaid"
    CANCELED = "canceled", "Canceled"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete, expired"
    PAUSED = "paused", "Paused"
