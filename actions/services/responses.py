"""Telling the customer about an operator's decision: render, send once, record, push.

`action_response_deliver` is what the Celery task runs. Exactly once, even when a worker
dies mid-task or two workers hold the same message: the `ActionResponse` row (one per
decision, by idempotency key) is locked for the whole delivery and its status is checked
under that lock; the stored messages, the `sent` status and the action's final transition
commit together, and only then is anything pushed. A worker killed before that commit leaves
the row pending and unlocked; the redelivered task (acks_late) or the reconciliation picks
it up. The external send (WhatsApp, email) happens inside the lock, with the response's
idempotency key, so a concurrent duplicate waits and then finds it sent.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template import Context, Engine
from django.utils import timezone

from actions.enums import ActionStatus, ResponseStatus
from actions.exceptions import DeliveryRetryable
from actions.lifecycle import can_transition
from actions.models import Action, ActionResponse, ResponseTemplate
from actions.services.lifecycle import action_transition
from conversations.enums import Channel, MessageType, Role
from conversations.outbound.base import DeliveryResult, OutboundMessage
from conversations.outbound.registry import outbound_send

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
WILDCARD = "*"

# Plain text, no HTML escaping; no template loaders, so {% include %} / {% extends %} fail
# (and fall back) instead of reading files. Only the documented context is passed in.
_ENGINE = Engine(autoescape=False, loaders=[], debug=False, string_if_invalid="")

GENERIC_TEXTS = {
    ActionStatus.APPROVED: "Good news: your request ({label}) has been approved.",
    ActionStatus.DENIED: "Sorry, we can't approve your request ({label}).",
    ActionStatus.EDITED: "A team member has reviewed your request ({label}) and adjusted it.",
}
GENERIC_FALLBACK = "A team member has reviewed your request ({label})."
STATUS_TEXTS = {
    ActionStatus.APPROVED: "{label}: approved",
    ActionStatus.DENIED: "{label}: declined",
    ActionStatus.EDITED: "{label}: approved with changes",
}


def response_template_context(*, action: Action, reply_text: str) -> dict:
    """The documented template context, as plain values only (no model methods to call)."""
    customer = action.conversation.customer
    return {
        "action": {
            "id": action.id,
            "type": action.type,
            "label": action.label,
            "status": action.status,
            "decision_note": action.decision_note,
        },
        "payload": dict(action.payload),
        "reply": reply_text,
        "customer": {"name": customer.name, "email": customer.email},
        "shop": {"name": settings.PARLEY_SHOP_NAME},
    }


def generic_response_text(*, action: Action, outcome: str, reply_text: str) -> str:
    text = GENERIC_TEXTS.get(outcome, GENERIC_FALLBACK).format(label=action.label)
    return f"{text}\n\n{reply_text}" if reply_text else text


def response_text_render(*, action: Action, outcome: str, reply_text: str = "") -> tuple[str, str]:
    """(text, source): the active template for (type, outcome), else (*, outcome), else a generic text.

    A template that fails to compile or render, or renders to nothing, falls through to the
    next one. `source` says which one was used ("refund_request/approved", "*/denied", "generic").
    """
    templates = {
        t.action_type: t
        for t in ResponseTemplate.objects.filter(
            action_type__in=[action.type, WILDCARD], outcome=outcome, is_active=True
        )
    }
    context = response_template_context(action=action, reply_text=reply_text)
    for key in (action.type, WILDCARD):
        template = templates.get(key)
        if template is None:
            continue
        try:
            text = _ENGINE.from_string(template.body).render(Context(context, autoescape=False)).strip()
        except Exception:
            logger.warning("response template %s/%s failed to render", key, outcome, exc_info=True)
            continue
        if text:
            return text[:4000], f"{key}/{outcome}"
    return generic_response_text(action=action, outcome=outcome, reply_text=reply_text), "generic"


def _address(conversation) -> str:
    customer = conversation.customer
    if conversation.channel == Channel.WHATSAPP:
        return customer.phone
    if conversation.channel == Channel.EMAIL:
        return customer.email
    return conversation.id


def _refund_if_approved(action: Action) -> str:
    """An approved refund_request on a paid order refunds through the payment provider.

    Returns "" when done (or nothing to do), else the reason it could not be made. The result
    is kept on the action, so a re-run of the task never refunds twice.
    """
    if action.type != "refund_request" or "refund" in action.result:
        return ""
    order_number = action.payload.get("orderNumber", "")
    from checkout.models import Order
    from checkout.services.refunds import order_refund
    from core.exceptions import ApplicationError

    order = Order.objects.filter(number=order_number, conversation_id=action.conversation_id).first()
    if order is None:
        error = f"No order {order_number or '(none given)'} in this conversation."
        action.result = {**action.result, "refund": {"error": error}}
        return error
    amount = action.payload.get("amount")
    try:
        with transaction.atomic():
            order = order_refund(order=order, amount=amount, reason=f"Operator-approved {action.id}")
    except ApplicationError as exc:
        action.result = {**action.result, "refund": {"order": order.number, "error": exc.detail, "code": exc.code}}
        return exc.detail
    action.result = {
        **action.result,
        "refund": {
            "order": order.number,
            "refunded_total": f"{order.refunded_total:.2f}",
            "currency": order.currency,
            "order_status": order.status,
        },
    }
    return ""


def action_response_deliver(*, response_id: int) -> ActionResponse | None:
    """Deliver one decision's response. Safe to call any number of times, from any number of workers."""
    with transaction.atomic():
        response = (
            ActionResponse.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("action__conversation__customer")
            .filter(pk=response_id)
            .first()
        )
        if response is None:
            return None  # gone, or another worker is delivering it right now
        if response.status == ResponseStatus.SENT:
            return response
        if response.status == ResponseStatus.FAILED and not response.retryable:
            return response
        action = (
            Action.objects.select_for_update(of=("self",))
            .select_related("conversation__customer")
            .get(pk=response.action_id)
        )
        conversation = action.conversation
        outcome = response.outcome

        refund_error = ""
        if outcome in (ActionStatus.APPROVED, ActionStatus.EDITED):
            refund_error = _refund_if_approved(action)
            Action.objects.filter(pk=action.pk).update(result=action.result)
        if refund_error:
            text = (
                f"Your request ({action.label}) was approved, but the refund could not be made automatically: "
                f"{refund_error} A team member will follow up."
            )
        else:
            text, _source = response_text_render(action=action, outcome=outcome, reply_text=action.decision_note)
        response.text = text
        response.attempts += 1

        result = DeliveryResult.ok()
        if conversation.channel in (Channel.WHATSAPP, Channel.EMAIL):
            result = outbound_send(
                message=OutboundMessage(
                    channel=conversation.channel,
                    to=_address(conversation),
                    text=text,
                    subject=f"{action.label}: an update from {settings.PARLEY_SHOP_NAME}",
                    conversation_id=conversation.id,
                    idempotency_key=response.idempotency_key,
                )
            )
        if not result.is_success:
            final = not result.retryable or response.attempts >= MAX_ATTEMPTS
            response.status = ResponseStatus.FAILED
            response.error = result.error
            response.retryable = not final
            response.save(update_fields=["text", "attempts", "status", "error", "retryable", "updated_at"])
            if final and can_transition(action.status, ActionStatus.FAILED):
                action_transition(action=action, to_status=ActionStatus.FAILED, enabled=False, error=result.error)
            retry = not final
        else:
            _record_delivery(action=action, response=response, text=text, external_id=result.external_id)
            if refund_error:
                action_transition(action=action, to_status=ActionStatus.FAILED, enabled=False, error=refund_error)
            elif can_transition(action.status, ActionStatus.SUCCEEDED):
                action_transition(action=action, to_status=ActionStatus.SUCCEEDED, enabled=False)
            retry = False
    if retry:
        raise DeliveryRetryable(result.error)
    return response


def _record_delivery(*, action: Action, response: ActionResponse, text: str, external_id: str) -> None:
    """The reply and the status update as messages of the conversation, pushed live on commit."""
    from conversations.services.messages import conversation_message_create

    conversation = action.conversation
    meta = {"action_id": action.id, "action_response_id": response.pk, "outcome": response.outcome}
    conversation_message_create(
        conversation=conversation,
        role=Role.INTERNAL,
        message_type=MessageType.ACTION_STATUS_UPDATE,
        content=STATUS_TEXTS.get(response.outcome, "{label}: reviewed").format(label=action.label),
        metadata={**meta, "status": response.outcome},
    )
    reply = conversation_message_create(
        conversation=conversation, role=Role.ASSISTANT, content=text, metadata=meta, push=False
    )
    response.status = ResponseStatus.SENT
    response.sent_at = timezone.now()
    response.external_id = external_id[:200]
    response.error = ""
    response.retryable = False
    response.save(
        update_fields=["text", "attempts", "status", "error", "retryable", "external_id", "sent_at", "updated_at"]
    )
    # The web chat always hears it (the message row above is its history); pushed after commit.
    reply_id = reply.pk

    def push():
        from conversations.selectors import message_with_actions
        from conversations.serializers import message_to_dict

        message = message_with_actions(message_id=reply_id)
        outbound_send(
            message=OutboundMessage(
                channel=Channel.WEB,
                to=conversation.id,
                text=text,
                conversation_id=conversation.id,
                idempotency_key=response.idempotency_key,
                extra={"event": {"type": "message", "message": message_to_dict(message)}, "message_id": reply_id},
            )
        )

    transaction.on_commit(push, robust=True)


def action_responses_due(*, grace_seconds: int = 30) -> list[int]:
    """Responses left unsent: pending or failed-retryable, untouched for `grace_seconds`."""
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    return list(
        ActionResponse.objects.filter(status__in=[ResponseStatus.PENDING, ResponseStatus.FAILED], retryable=True)
        .filter(updated_at__lte=cutoff)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:1000]
    )


def action_responses_reconcile(*, grace_seconds: int = 30, inline: bool = False) -> dict[str, int]:
    """Re-send every response left unsent (a lost enqueue, a dead worker, a retryable failure)
    and expire stale actions. With `inline`, delivers here instead of through the queue."""
    from actions.services.expiry import actions_expire
    from actions.services.feedback import action_response_enqueue

    due = action_responses_due(grace_seconds=grace_seconds)
    delivered = failed = 0
    for response_id in due:
        if inline:
            try:
                response = action_response_deliver(response_id=response_id)
            except DeliveryRetryable:
                failed += 1
                continue
            delivered += int(response is not None and response.status == ResponseStatus.SENT)
        else:
            action_response_enqueue(response_id=response_id)
    return {"due": len(due), "delivered": delivered, "failed": failed, "expired": actions_expire()}
