from django.db import models


class ActionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    RENDERED = "rendered", "Rendered"
    CLICKED = "clicked", "Clicked"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    EDITED = "edited", "Edited"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class ActionTypeName(models.TextChoices):
    """The names of the action types Parley ships (their classes, in `actions/types.py`, are the
    registry). Code names a type through this, never by a string literal."""

    CHECKOUT_NOW = "checkout_now"
    CHECK_COMPATIBLE_ALTERNATIVES = "check_compatible_alternatives"
    NOTIFY_WHEN_IN_STOCK = "notify_when_in_stock"
    REFUND_REQUEST = "refund_request"
    ORDER_CANCELLATION = "order_cancellation"
    POLICY_EXCEPTION = "policy_exception"
    POLICY_CLARIFICATION = "policy_clarification"
    TALK_TO_HUMAN = "talk_to_human"


class ActionStyle(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"


class ActorKind(models.TextChoices):
    SYSTEM = "system", "System"
    CUSTOMER = "customer", "Customer"
    OPERATOR = "operator", "Operator"
