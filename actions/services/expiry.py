"""Buttons nobody pressed and requests nobody decided do not stay live forever."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from actions.enums import ActionStatus
from actions.exceptions import ActionNotAllowed
from actions.models import Action
from actions.services.transitions import action_transition

EXPIRABLE = (ActionStatus.PROPOSED, ActionStatus.RENDERED, ActionStatus.CLICKED, ActionStatus.PENDING_APPROVAL)


def actions_expire(*, older_than: timedelta | None = None, limit: int = 1000) -> int:
    """Expire actions still proposed, rendered, clicked or pending approval after `older_than`
    (default PARLEY_ACTION_EXPIRY_HOURS) without a change. Each is a recorded transition, pushed
    to the conversation (the button greys out) and, for operator types, to the inbox."""
    if older_than is None:
        older_than = timedelta(hours=settings.PARLEY_ACTION_EXPIRY_HOURS)
    cutoff = timezone.now() - older_than
    ids = list(
        Action.objects.filter(status__in=EXPIRABLE, updated_at__lt=cutoff)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for action_id in ids:
        with transaction.atomic():
            # Re-read under the lock: a click or a decision since the query keeps it alive.
            action = (
                Action.objects.select_for_update()
                .filter(pk=action_id, status__in=EXPIRABLE, updated_at__lt=cutoff)
                .first()
            )
            if action is None:
                continue
            try:
                action_transition(action=action, to_status=ActionStatus.EXPIRED, enabled=False, note="expired")
            except ActionNotAllowed:
                continue
        expired += 1
    return expired
