from django.db import models


class AlertChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    WEB = "web", "Web chat"


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", "Pending opt-in"
    ACTIVE = "active", "Active"
    NOTIFIED = "notified", "Notified"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class NoticeStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
