"""Telling the customer about an operator's decision: render, send once, record, push.

The decision's `ActionResponse` (what was decided and said) is delivered through the outbox
(`core.outbox`, kind `actions.response`, keyed by the response's idempotency key), enqueued in
the decision's transaction. `ActionResponseSender.send` runs with no transaction open and no
row locked: the type's `on_approved` hook acts first on an approval (checkout's refund_request
refunds, keyed by the action, so a repeat after a crash never refunds twice), the reply is rendered and, on WhatsApp or email, sent with the
response's idempotency key. `on_sent` has the conversation store its copy (the reply and the
internal status update: `actions.signals.action_response_delivered`, conversations listens)
and makes the action's final transition, in the outbox's recording transaction; the copy is
pushed on commit; `on_failed` (no attempt left, or a refused address)
fails the action with the reason.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.template import Context, Engine
from django.utils import timezone

from actions.enums import ActionStatus
from actions.models import Action, ActionResponse, ResponseTemplate
from actions.services.transitions import action_transition
from actions.signals import action_response_delivered
from actions.state_machine import can_transition
from actions.types import action_type_get
from core.outbound import OutboundMessage, outbound_channel_get, outbound_send
from core.outbox.models import OutboundDelivery
from core.outbox.registry import Sender, SendResult
from core.outbox.services import delivery_enqueue

logger = logging.getLogger(__name__)

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
        "changes": action.result.get("changes", ""),
        "reply": reply_text,
        "customer": {"name": customer.name, "email": customer.email},
        "shop": {"name": settings.PARLEY_SHOP_NAME},
    }


def generic_response_text(*, action: Action, outcome: str, reply_text: str) -> str:
    text = GENERIC_TEXTS.get(outcome, GENERIC_FALLBACK).format(label=action.label)
    changes = action.result.get("changes", "") if outcome == ActionStatus.EDITED else ""
    if changes:
        text = f"{text.removesuffix('.')}: {changes}."
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


RESPONSE = "actions.response"


def action_response_enqueue(*, action: Action, outcome: str, channel: str, key: str) -> ActionResponse:
    """In the decision's transaction, under the action's row lock (so `key` is new): the response,
    sent through the outbox once that commits. The delivery names the response by its key, so
    each row is written once (two INSERTs, no UPDATE linking them)."""
    delivery = delivery_enqueue(kind=RESPONSE, key=key, payload={"response_key": key}, new=True)
    return ActionResponse.objects.create(
        action=action, outcome=outcome, text="", channel=channel, idempotency_key=key, delivery=delivery
    )


class ActionResponseSender(Sender):
    """What to send for a decision (outbox kind `actions.response`)."""

    kind = RESPONSE

    def _response(self, delivery: OutboundDelivery) -> ActionResponse:
        responses = ActionResponse.objects.select_related("action__conversation__customer")
        if "response_id" in delivery.payload:  # enqueued before deliveries named the response by its key
            return responses.get(pk=delivery.payload["response_id"])
        return responses.get(idempotency_key=delivery.payload["response_key"])

    def send(self, delivery: OutboundDelivery) -> SendResult:
        response = self._response(delivery)
        action = response.action
        conversation = action.conversation
        outcome = response.outcome
        action_type = action_type_get(action.type)
        problem = ""
        if action_type is not None and outcome in (ActionStatus.APPROVED, ActionStatus.EDITED):
            action_type.on_approved(action=action)
            problem = action_type.approval_error(action=action)
        if problem:
            text = (
                f"Your request ({action.label}) was approved, but {action_type.approval_failure}: "
                f"{problem} A team member will follow up."
            )
        else:
            text, _source = response_text_render(action=action, outcome=outcome, reply_text=action.decision_note)
        ActionResponse.objects.filter(pk=response.pk).update(text=text, updated_at=timezone.now())
        channel = outbound_channel_get(conversation.channel)
        address = channel.address_for(conversation) if channel is not None else None
        if address is None:
            return SendResult.ok()  # the web chat hears it from the stored message, pushed on commit
        return outbound_send(
            message=OutboundMessage(
                channel=conversation.channel,
                to=address,
                text=text,
                subject=f"{action.label}: an update from {settings.PARLEY_SHOP_NAME}",
                conversation_id=conversation.id,
                idempotency_key=response.idempotency_key,
            )
        )

    def on_sent(self, delivery: OutboundDelivery, result: SendResult) -> None:
        response = self._response(delivery)
        action = (
            Action.objects.select_for_update(of=("self",)).select_related("conversation").get(pk=response.action_id)
        )
        action_response_delivered.send(
            sender=ActionResponse,
            action=action,
            response=response,
            status_text=STATUS_TEXTS.get(response.outcome, "{label}: reviewed").format(label=action.label),
        )
        action_type = action_type_get(action.type)
        problem = ""
        if action_type is not None and response.outcome in (ActionStatus.APPROVED, ActionStatus.EDITED):
            problem = action_type.approval_error(action=action)
        if problem:
            action_transition(action=action, to_status=ActionStatus.FAILED, enabled=False, error=problem)
        elif can_transition(action.status, ActionStatus.SUCCEEDED):
            action_transition(action=action, to_status=ActionStatus.SUCCEEDED, enabled=False)

    def on_failed(self, delivery: OutboundDelivery, result: SendResult) -> None:
        response = self._response(delivery)
        action = Action.objects.select_for_update(of=("self",)).get(pk=response.action_id)
        if can_transition(action.status, ActionStatus.FAILED):
            action_transition(action=action, to_status=ActionStatus.FAILED, enabled=False, error=result.error)
