from django.db import models

from analytics.enums import EventName, EventSource


class Event(models.Model):
    """One telemetry event. Dimensions are columns so funnels are plain SQL aggregates."""

    id = models.BigAutoField(primary_key=True)
    # Client-supplied ids make ingest idempotent; server events get one too.
    event_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=40, choices=EventName.choices)
    source = models.CharField(max_length=10, choices=EventSource.choices, default=EventSource.SERVER)
    occurred_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(auto_now_add=True)
    conversation_id = models.CharField(max_length=32, blank=True, db_index=True)
    action_type = models.CharField(max_length=64, blank=True)
    ps_number = models.CharField(max_length=32, blank=True)
    model_number = models.CharField(max_length=64, blank=True)
    intent = models.CharField(max_length=40, blank=True)
    properties = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["name", "occurred_at"])]

    def __str__(self):
        return f"{self.name} @ {self.occurred_at:%Y-%m-%d %H:%M}"
