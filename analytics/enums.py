from django.db import models


class EventName(models.TextChoices):
    CHAT_OPENED = "chat_opened"
    MESSAGE_SENT = "message_sent"
    INTENT_DETECTED = "intent_detected"
    PURCHASE_INTENT_DETECTED = "purchase_intent_detected"
    ACTION_RENDERED = "action_rendered"
    ACTION_CLICKED = "action_clicked"
    ACTION_SUCCEEDED = "action_succeeded"
    ACTION_FAILED = "action_failed"
    PAYMENT_LINK_GENERATED = "payment_link_generated"
    PAYMENT_LINK_CLICKED = "payment_link_clicked"
    PAYMENT_COMPLETED = "payment_completed"
    PAYMENT_FAILED = "payment_failed"
    CONVERSATION_ABANDONED = "conversation_abandoned"
    ALERT_SUBSCRIBED = "alert_subscribed"
    ALERT_NOTIFIED = "alert_notified"
    # A person was asked for, took it, first answered, closed it, and was rated (conversations'
    # handoff services; the dashboard's CSAT, first-response time and time to resolve).
    HANDOFF_REQUESTED = "handoff_requested"
    HANDOFF_ASSIGNED = "handoff_assigned"
    HANDOFF_FIRST_RESPONSE = "handoff_first_response"
    HANDOFF_RESOLVED = "handoff_resolved"
    HANDOFF_RATED = "handoff_rated"
    # Experiments and the shop's own side of the funnel (per visitor, not per conversation).
    EXPERIMENT_ASSIGNED = "experiment_assigned"
    PRODUCT_VIEWED = "product_viewed"
    CART_ADDED = "cart_added"
    ORDER_COMPLETED = "order_completed"


class EventSource(models.TextChoices):
    SERVER = "server", "Server"
    CLIENT = "client", "Client"


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"


class ExperimentArm(models.TextChoices):
    CHAT = "chat", "Chat (widget shown)"
    HOLDOUT = "holdout", "Holdout (widget hidden)"
