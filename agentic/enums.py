from django.db import models


class AcpStatus(models.TextChoices):
    """The spec's session states that Parley uses (CheckoutSessionBase.status)."""

    NOT_READY_FOR_PAYMENT = "not_ready_for_payment", "Not ready for payment"
    READY_FOR_PAYMENT = "ready_for_payment", "Ready for payment"
    IN_PROGRESS = "in_progress", "In progress (completing)"
    AUTHENTICATION_REQUIRED = "authentication_required", "Authentication required (3-D Secure)"
    COMPLETED = "completed", "Completed"
    CANCELED = "canceled", "Canceled"
    EXPIRED = "expired", "Expired"


TERMINAL = (AcpStatus.COMPLETED, AcpStatus.CANCELED, AcpStatus.EXPIRED)
# A session that can still change (and so expire); `in_progress` is a completion under way, whose
# own lease decides what happens to it.
OPEN = (AcpStatus.NOT_READY_FOR_PAYMENT, AcpStatus.READY_FOR_PAYMENT, AcpStatus.AUTHENTICATION_REQUIRED)


class OrderEventType(models.TextChoices):
    """The webhook spec's event types (`openapi.agentic_checkout_webhook.yaml`)."""

    ORDER_CREATE = "order_create", "order_create"
    ORDER_UPDATE = "order_update", "order_update"
