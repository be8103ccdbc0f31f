"""The outbox's rows (registered under the `core` app; see core/outbox/__init__.py)."""

from django.db import models

from core.models import TimeStampedModel
from core.outbox.enums import AttemptStatus, DeliveryStatus


class OutboundDelivery(TimeStampedModel):
    """One message to send once: what kind, to whom (in `payload`), and how it went."""

    kind = models.CharField(max_length=64, db_index=True, help_text="Which registered sender sends it.")
    # Unique: enqueueing the same message twice is one delivery. Also the idempotency key the
    # receiver sees on every attempt.
    key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict, help_text="What the sender needs (ids, not copies of rows).")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    external_id = models.CharField(max_length=200, blank=True, help_text="The receiver's id for what it accepted.")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "outbound deliveries"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["status", "leased_until"], name="outbox_leased"),
        ]

    def __str__(self):
        return f"{self.kind} {self.key} ({self.status})"


class OutboundAttempt(models.Model):
    """One try at sending a delivery: when, how it ended, what the receiver said."""

    delivery = models.ForeignKey(OutboundDelivery, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveIntegerField(
        help_text="The delivery's attempt count when it started (a resend starts again at 1)."
    )
    lease_token = models.CharField(max_length=32, help_text="The claim it ran under.")
    status = models.CharField(max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.SENDING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="HTTP status, when there is one.")
    request = models.JSONField(null=True, blank=True, help_text="What was sent, when the sender keeps it.")

    class Meta:
        ordering = ["delivery", "started_at", "pk"]

    def __str__(self):
        return f"{self.delivery_id} #{self.number} ({self.status})"
