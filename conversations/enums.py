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
    HANDOFF = "handoff", "Handoff notice"
    DELIVERY_FAILED = "delivery_failed", "Delivery failed"


class Handling(models.TextChoices):
    """Who answers the conversation (DESIGN "second round"): the assistant (`bot`), nobody yet
    while a person is asked for (`waiting_for_human`), one operator (`assigned`), or the
    assistant again after a person closed it (`resolved`; the customer may rate it). The
    assistant drafts nothing while the handling is `waiting_for_human` or `assigned`."""

    BOT = "bot", "Assistant"
    WAITING_FOR_HUMAN = "waiting_for_human", "Waiting for a person"
    ASSIGNED = "assigned", "With an operator"
    RESOLVED = "resolved", "Resolved"


class HandoffReason(models.TextChoices):
    """Why a person was asked for."""

    CUSTOMER_ASKED = "customer_asked", "The customer asked for a person"
    ASSISTANT_ABSTAINED = "assistant_abstained", "The assistant could not help twice in a row"
    CUSTOMER_UPSET = "customer_upset", "The customer is upset or repeating themselves"
    DISPUTE = "dispute", "A refund or cancellation is disputed"
    OPERATOR_TAKEOVER = "operator_takeover", "An operator took the conversation over"


class WhatsAppEventKind(models.TextChoices):
    MESSAGE = "message", "Inbound message"
    STATUS = "status", "Status callback"


class WhatsAppSendStatus(models.TextChoices):
    """Where a message we sent through the Cloud API is, as Meta's status callbacks say.

    They can arrive in any order (a `read` before its `delivered`): a status only moves forward
    (`WHATSAPP_STATUS_RANK`); `failed` replaces `accepted` and `sent` but never a delivered message."""

    ACCEPTED = "accepted", "Accepted by the API"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    READ = "read", "Read"
    FAILED = "failed", "Failed"


WHATSAPP_STATUS_RANK = {
    WhatsAppSendStatus.ACCEPTED: 0,
    WhatsAppSendStatus.SENT: 1,
    WhatsAppSendStatus.FAILED: 2,
    WhatsAppSendStatus.DELIVERED: 3,
    WhatsAppSendStatus.READ: 4,
}


class InboxView(models.TextChoices):
    """The operator inbox's lists of conversations (`conversations/inbox/selectors.py`)."""

    WAITING = "waiting", "Waiting for a person"
    MINE = "mine", "Mine"
    OPEN = "open", "All open"
    RESOLVED = "resolved", "Resolved"
    ALL = "all", "All"
