from django.conf import settings
from django.db import models

from actions.enums import ActionStatus, ActionStyle, ActorKind
from core.ids import new_id
from core.models import TimeStampedModel


def new_action_id() -> str:
    return new_id("act")


class Action(TimeStampedModel):
    """A button the assistant put in a reply, or a request an operator must decide."""

    id = models.CharField(primary_key=True, max_length=32, default=new_action_id, editable=False)
    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE, related_name="actions")
    message = models.ForeignKey(
        "conversations.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    type = models.CharField(max_length=64, db_index=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order of the button in its message.")
    label = models.CharField(max_length=120)
    style = models.CharField(max_length=16, choices=ActionStyle.choices, default=ActionStyle.SECONDARY)
    payload = models.JSONField(default=dict)
    requires_confirmation = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default=ActionStatus.PROPOSED, db_index=True)
    error = models.CharField(max_length=500, blank=True)
    result = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "position"]

    def __str__(self):
        return f"{self.id} {self.type} ({self.status})"


class ActionTransition(models.Model):
    """Every status change, with who made it and when: the action's audit trail."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=ActionStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ActionStatus.choices)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices, default=ActorKind.SYSTEM)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["action", "created_at", "id"]

    def __str__(self):
        return f"{self.action_id}: {self.from_status or '∅'} → {self.to_status}"


class ResponseTemplate(TimeStampedModel):
    """What the customer is told when an operator decides an action (editable in the admin)."""

    action_type = models.CharField(max_length=64, help_text="An action type, or * for any type.")
    outcome = models.CharField(max_length=20, choices=ActionStatus.choices)
    body = models.TextField(help_text="Django template syntax; context: action, payload, changes, reply, customer.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["action_type", "outcome"]
        constraints = [models.UniqueConstraint(fields=["action_type", "outcome"], name="response_template_unique")]

    def __str__(self):
        return f"{self.action_type} / {self.outcome}"


class ActionResponse(TimeStampedModel):
    """What the customer is told because of an operator's decision (sent through the outbox)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="responses")
    outcome = models.CharField(max_length=20, choices=ActionStatus.choices)
    text = models.TextField()
    channel = models.CharField(max_length=16)
    # One key per decision: the outbox delivery's key, and the idempotency key the channel sees.
    idempotency_key = models.CharField(max_length=100, unique=True)
    # How it is being sent (status, attempts, errors): the outbox's row.
    delivery = models.OneToOneField(
        "core.OutboundDelivery", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self):
        return f"{self.action_id} {self.outcome} via {self.channel}"
