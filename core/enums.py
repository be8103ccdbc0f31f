from django.db import models


class InboundEventStatus(models.TextChoices):
    """Where an event another system sent us (a payment provider's webhook, a WhatsApp message or
    status callback) is: stored and waiting, or done one of three ways."""

    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"
