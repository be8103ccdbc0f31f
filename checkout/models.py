from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from checkout.enums import (
    BundleRule,
    CheckoutMode,
    CheckoutStatus,
    DiscountKind,
    FulfilmentStatus,
    OrderSource,
    OrderStatus,
    PriceKind,
    RefundStatus,
    SubscriptionStatus,
)
from core.enums import InboundEventStatus
from core.ids import new_id
from core.models import TimeStampedModel


def new_checkout_session_id() -> str:
    return new_id("chk")


class PriceBook(TimeStampedModel):
    """A vendor's subscription plans (email tiers, chat plans, the chat add-on) and how a bundle is
    priced (seeds/004); one is active at a time. Not the parts' prices: those are on each product."""

    name = models.CharField(max_length=120)
    currency = models.CharField(max_length=3, default="GBP")
    is_active = models.BooleanField(default=True, help_text="The active list prices every plan checkout.")
    bundle_rule = models.CharField(
        max_length=20,
        choices=BundleRule.choices,
        default=BundleRule.ADDON_TABLE,
        help_text="How an email plan and chat together are priced.",
    )
    chat_list_price = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("59.00"), help_text="Monthly list price of chat on its own."
    )
    bundle_discount_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("5.00"), help_text="Used by the list-discount bundle rule."
    )

    class Meta:
        verbose_name = "plans and bundles price list"
        verbose_name_plural = "plans and bundles"

    def __str__(self):
        return self.name


class PriceBookEntry(TimeStampedModel):
    price_book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=20, choices=PriceKind.choices)
    code = models.SlugField(max_length=40, help_text="starter, standard, premium, growth, pro, …")
    name = models.CharField(max_length=120)
    monthly_price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    stripe_price_id = models.CharField(max_length=120, blank=True)
    payment_link = models.URLField(blank=True, help_text="Stripe Payment Link used when no secret key is set.")

    class Meta:
        verbose_name = "plan or add-on price"
        verbose_name_plural = "plan and add-on prices"
        ordering = ["price_book", "kind", "monthly_price"]
        constraints = [models.UniqueConstraint(fields=["price_book", "kind", "code"], name="price_entry_unique")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.code} {self.monthly_price}"


class DiscountCode(TimeStampedModel):
    code = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=10, choices=DiscountKind.choices)
    value = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, blank=True, help_text="For fixed amounts.")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    times_used = models.PositiveIntegerField(default=0)
    first_time_only = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    def __str__(self):
        return self.code


class CheckoutSession(TimeStampedModel):
    id = models.CharField(primary_key=True, max_length=32, default=new_checkout_session_id, editable=False)
    conversation = models.ForeignKey(
        "conversations.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="checkout_sessions"
    )
    action = models.ForeignKey(
        "actions.Action", null=True, blank=True, on_delete=models.SET_NULL, related_name="checkout_sessions"
    )
    customer = models.ForeignKey(
        "conversations.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.CharField(max_length=20)
    provider_session_id = models.CharField(max_length=200, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    mode = models.CharField(max_length=16, choices=CheckoutMode.choices, default=CheckoutMode.PAYMENT)
    status = models.CharField(max_length=16, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN, db_index=True)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    discount_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    tax_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    amount_total = models.DecimalField(max_digits=12, decimal_places=2)
    discount_code = models.ForeignKey(DiscountCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(
        max_length=80, blank=True, help_text="Who sold it when not the chat: e.g. acp:chatgpt (an agent platform)."
    )
    line_items = models.JSONField(default=list)
    shipping_option = models.CharField(max_length=40, blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    contact = models.JSONField(
        default=dict, blank=True, help_text="Who to tell about the parcel, as given before paying: name, email, phone."
    )
    plan = models.JSONField(default=dict, blank=True, help_text="The normalised plan payload (subscriptions).")
    url = models.URLField(max_length=1000, blank=True)
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.id} ({self.status})"


class Order(TimeStampedModel):
    number = models.CharField(max_length=32, unique=True, editable=False)
    checkout_session = models.OneToOneField(
        CheckoutSession, null=True, blank=True, on_delete=models.PROTECT, related_name="order"
    )
    customer = models.ForeignKey(
        "conversations.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    message = models.ForeignKey(
        "conversations.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.ForeignKey(
        "actions.Action", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PAID, db_index=True)
    order_source = models.CharField(max_length=20, choices=OrderSource.choices, default=OrderSource.TRADITIONAL)
    channel = models.CharField(
        max_length=80, blank=True, db_index=True, help_text="The agent platform that sold it (acp:<slug>, gpt:<slug>)."
    )
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    discount_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    shipping_option = models.CharField(max_length=40, blank=True)
    shipping_address = models.JSONField(
        default=dict,
        blank=True,
        help_text="Where the parcel goes, in the ACP Address shape: name, line_one, line_two, city, state, "
        "postal_code, country (ISO 3166-1 alpha-2).",
    )
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=32, blank=True)
    fulfilment_status = models.CharField(
        max_length=20, choices=FulfilmentStatus.choices, default=FulfilmentStatus.UNFULFILLED, db_index=True
    )
    carrier = models.CharField(max_length=80, blank=True)
    tracking_number = models.CharField(max_length=80, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)
    packed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    tax_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(max_digits=12, decimal_places=2)
    refunded_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    discount_code = models.ForeignKey(
        DiscountCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    needs_attention = models.BooleanField(default=False, db_index=True)
    attention_reason = models.CharField(max_length=500, blank=True)
    provider = models.CharField(max_length=20, blank=True)
    provider_payment_ref = models.CharField(max_length=200, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.number

    @property
    def refundable_amount(self) -> Decimal:
        return max(self.total - self.refunded_total, Decimal("0"))


def new_fulfilment_event_id() -> str:
    return new_id("fev")


class FulfilmentEvent(models.Model):
    """One move of an order's fulfilment (the audit trail): who, when, from, to, and the parcel's
    carrier and tracking when it shipped. Written only by `order_fulfilment_transition`."""

    id = models.CharField(primary_key=True, max_length=32, default=new_fulfilment_event_id, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="fulfilment_events")
    from_status = models.CharField(max_length=20, choices=FulfilmentStatus.choices)
    to_status = models.CharField(max_length=20, choices=FulfilmentStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True, help_text="Who, as shown (kept if the user goes).")
    carrier = models.CharField(max_length=80, blank=True)
    tracking_number = models.CharField(max_length=80, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.order_id}: {self.from_status} → {self.to_status}"


def new_refund_id() -> str:
    return new_id("rfd")


class Refund(TimeStampedModel):
    """Money given back on an order: asked for here (`order_refund`) or seen in a `charge.refunded` event."""

    id = models.CharField(primary_key=True, max_length=32, default=new_refund_id, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=RefundStatus.choices, default=RefundStatus.SUCCEEDED)
    provider = models.CharField(max_length=20)
    provider_refund_id = models.CharField(max_length=200, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    from_webhook = models.BooleanField(default=False, help_text="Made outside Parley (e.g. the Stripe dashboard).")

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.id} {self.amount} {self.currency} on {self.order_id}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    line_total = models.DecimalField(max_digits=12, decimal_places=2)

    def __str__(self):
        return f"{self.quantity} × {self.sku}"


def new_subscription_id() -> str:
    return new_id("subs")


class Subscription(TimeStampedModel):
    """A plan bought through a subscription checkout; its state follows the provider's events."""

    id = models.CharField(primary_key=True, max_length=32, default=new_subscription_id, editable=False)
    checkout_session = models.OneToOneField(
        CheckoutSession, null=True, blank=True, on_delete=models.PROTECT, related_name="subscription"
    )
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    customer = models.ForeignKey(
        "conversations.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    provider = models.CharField(max_length=20)
    provider_subscription_id = models.CharField(max_length=200, unique=True, null=True, blank=True)
    provider_customer_id = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=20, choices=SubscriptionStatus.choices, default=SubscriptionStatus.INCOMPLETE, db_index=True
    )
    plan = models.JSONField(default=dict)
    currency = models.CharField(max_length=3)
    monthly_price = models.DecimalField(max_digits=12, decimal_places=2)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    latest_invoice_id = models.CharField(max_length=200, blank=True)
    last_payment_failed_at = models.DateTimeField(null=True, blank=True)
    state_as_of = models.BigIntegerField(
        default=0, help_text="`created` of the newest provider event applied; older events change nothing."
    )

    def __str__(self):
        return f"{self.id} {self.plan.get('product_type', '')} ({self.status})"


class WebhookEvent(TimeStampedModel):
    """Every provider event, stored once by its id before anything acts on it."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=200)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=InboundEventStatus.choices, default=InboundEventStatus.RECEIVED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")]

    def __str__(self):
        return f"{self.provider}:{self.event_id} {self.type}"
