from django.db import models

from alerts.enums import AlertChannel, NoticeStatus, SubscriptionStatus
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


class AlertNotice(TimeStampedModel):
    """One notice to one subscriber about one restock: the unique key is what makes it exactly once."""

    subscription = models.ForeignKey(BackInStockSubscription, on_delete=models.CASCADE, related_name="notices")
    restock_key = models.CharField(max_length=100)
    channel = models.CharField(max_length=16, choices=AlertChannel.choices)
    status = models.CharField(max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.PENDING)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "restock_key"], name="alert_notice_once")]

    def __str__(self):
        return f"{self.subscription_id} @ {self.restock_key} ({self.status})"
