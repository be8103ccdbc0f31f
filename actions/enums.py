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


class ActionStyle(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"


class ActorKind(models.TextChoices):
    SYSTEM = "system", "System"
    CUSTOMER = "customer", "Customer"
    OPERATOR = "operator", "Operator"
