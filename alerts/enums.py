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


class RoundStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class RoundCloseReason(models.TextChoices):
    STOCK_OUT = "stock_out", "Stock ran out"
    EVERYONE_TOLD = "everyone_told", "Everyone was told"
    PRODUCT_GONE = "product_gone", "Part no longer sold"
