from django.db import models

from alerts.enums import AlertChannel, RoundStatus, SubscriptionStatus
from catalog.models import Product
from core.ids import new_id
from core.models import TimeStampedModel


def new_subscription_id() -> str:
    return new_id("sub")


class BackInStockSubscription(TimeStampedModel):
    id = models.CharField(primary_key=True, max_length=32, default=new_subscription_id, editable=False)
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="stock_subscriptions")
    customer = models.ForeignKey(
        "conversations.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stock_subscriptions",
    )
    channel = models.CharField(max_length=16, choices=AlertChannel.choices)
    contact = models.CharField(max_length=254, help_text="Lower-cased email, E.164 phone, or the conversation id.")
    status = models.CharField(max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.PENDING)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # When the double opt-in message was last sent (a repeat request re-sends it, at most this often).
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    # The `notify_when_in_stock` button it came from, if any.
    action = models.ForeignKey("actions.Action", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["product", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "channel", "contact"],
                condition=models.Q(status__in=["pending", "active"]),
                name="one_live_subscription_per_contact",
            ),
        ]
        indexes = [models.Index(fields=["product", "status", "created_at"])]

    def __str__(self):
        return f"{self.product_id} → {self.channel}:{self.contact} ({self.status})"


class RestockRound(TimeStampedModel):
    """One restock of one part (stock 0 → N): its subscribers are told in waves under one restock_key."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="restock_rounds")
    number = models.PositiveIntegerField(help_text="1 for the part's first round, then 2, 3, …")
    restock_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=16, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    started_quantity = models.PositiveIntegerField(default=0)
    trigger = models.CharField(max_length=32, default="restock", help_text="restock, backfill, …")
    waves = models.PositiveIntegerField(default=0)
    notices_created = models.PositiveIntegerField(default=0)
    next_wave_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="restock_round_number"),
            models.UniqueConstraint(
                fields=["product"], condition=models.Q(status="open"), name="one_open_restock_round_per_product"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_wave_at"], name="restock_round_due")]

    def __str__(self):
        return f"{self.restock_key} ({self.status})"


class AlertNotice(TimeStampedModel):
    """One notice to one subscriber about one restock: the unique key is what makes it exactly once.

    How it is sent (status, attempts, errors, when) is its outbox delivery's (`delivery`, kind
    `alerts.notice`); the notice keeps what it is about and what the customer got in the chat."""

    subscription = models.ForeignKey(BackInStockSubscription, on_delete=models.CASCADE, related_name="notices")
    restock_key = models.CharField(max_length=100)
    round = models.ForeignKey(RestockRound, null=True, blank=True, on_delete=models.SET_NULL, related_name="notices")
    channel = models.CharField(max_length=16, choices=AlertChannel.choices)
    delivery = models.OneToOneField(
        "core.OutboundDelivery", on_delete=models.PROTECT, related_name="alert_notice", editable=False
    )
    # What the customer got in their conversation: the stored message and its checkout_now button.
    # Orders whose `action` is a notice's action are conversions from that notice.
    message = models.ForeignKey(
        "conversations.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.ForeignKey(
        "actions.Action", null=True, blank=True, on_delete=models.SET_NULL, related_name="alert_notices"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "restock_key"], name="alert_notice_once")]

    def __str__(self):
        return f"{self.subscription_id} @ {self.restock_key}"


class PendingOptIn(BackInStockSubscription):
    """Subscriptions waiting for their double opt-in (an admin list of its own)."""

    class Meta:
        proxy = True
        verbose_name = "pending opt-in"
        verbose_name_plural = "pending opt-ins"


class PartAlertSummary(Product):
    """Parts with their back-in-stock subscribers counted (the admin's "subscriptions by part")."""

    class Meta:
        proxy = True
        verbose_name = "part with subscribers"
        verbose_name_plural = "subscriptions by part"
