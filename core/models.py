from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# The outbox's models live in core/outbox/ and belong to this app.
from core.outbox.models import OutboundAttempt, OutboundDelivery  # noqa: E402, F401
