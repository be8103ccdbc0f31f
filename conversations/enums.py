from django.db import models


class Channel(models.TextChoices):
    WEB = "web", "Web chat"
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", "Email"
    API = "api", "API"


class ConversationStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    ABANDONED = "abandoned", "Abandoned"


class Role(models.TextChoices):
    USER = "user", "Customer"
    ASSISTANT = "assistant", "Assistant"
    OPERATOR = "operator", "Operator"
    INTERNAL = "internal", "Internal"


class MessageType(models.TextChoices):
    TEXT = "text", "Text"
    ACTION_STATUS_UPDATE = "action_status_update", "Action status update"
    PAYMENT_CONFIRMED = "payment_confirmed", "Payment confirmed"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    ALERT_NOTIFIED = "alert_notified", "Back-in-stock notice"
