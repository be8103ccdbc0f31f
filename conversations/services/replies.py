"""A customer speaks; the assistant answers. The one path every channel (REST, socket) takes.

Per-customer rate limits (PARLEY_RATE_LIMIT_PER_MINUTE / _PER_HOUR) refuse a message with
`rate_limited` (HTTP 429 on REST, an `error` event on the socket) before anything is
stored. The reply's id is reserved before drafting, so streamed `token` events
(`{"type": "token", "message_id", "delta"}`) name the message they belong to; the final
`message` event carries the grounded text, which replaces the streamed one.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from actions.services.selection import actions_render_for_message, actions_select
from actions.types import Prerequisites
from analytics.enums import EventName
from analytics.services import event_record
from conversations.assistant import intents
from conversations.assistant.engines import draft_reply
from conversations.enums import Role
from conversations.models import Conversation, Customer, Message, new_message_id
from conversations.services.messages import conversation_message_create, message_content_clean, message_push
from core import realtime
from core.exceptions import RateLimited


def _existing_exchange(conversation: Conversation, client_message_id: str) -> tuple[Message, Message | None] | None:
    if not client_message_id:
        return None
    user_message = Message.objects.filter(conversation=conversation, client_message_id=client_message_id).first()
    if user_message is None:
        return None
    reply = (
        Message.objects.filter(
            conversation=conversation, seq__gt=user_message.seq, role=Role.ASSISTANT, metadata__reply_to=user_message.id
        )
        .order_by("seq")
        .first()
    )
    return user_message, reply


def customer_rate_limit_check(*, customer_id: str) -> None:
    """Refuse a message when the customer has sent too many recently (all their conversations).

    Counted from stored messages, so every process and worker sees the same numbers."""
    now = timezone.now()
    recent = Message.objects.filter(conversation__customer_id=customer_id, role=Role.USER)
    for limit, window, label in (
        (settings.PARLEY_RATE_LIMIT_PER_MINUTE, timedelta(minutes=1), "minute"),
        (settings.PARLEY_RATE_LIMIT_PER_HOUR, timedelta(hours=1), "hour"),
    ):
        if limit <= 0:
            continue
        times = list(
            recent.filter(created_at__gte=now - window)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[: limit + 1]
        )
        if len(times) >= limit:
            retry_after = max(1, int((times[limit - 1] + window - now).total_seconds()) + 1)
            raise RateLimited(
                f"You've sent {limit} messages in the last {label}. Please wait {retry_after} seconds.",
                fields={"retryAfter": [str(retry_after)]},
            )


def _history(conversation: Conversation, before_seq: int) -> list[dict]:
    rows = (
        Message.objects.filter(conversation=conversation, seq__lt=before_seq, role__in=[Role.USER, Role.ASSISTANT])
        .order_by("-seq")
        .values("role", "content")[:12]
    )
    return list(reversed(list(rows)))


def _usage_total(previous: dict | None, usage: dict) -> dict:
    previous = previous or {}
    return {
        "prompt_tokens": int(previous.get("prompt_tokens", 0)) + int(usage.get("prompt_tokens", 0)),
        "completion_tokens": int(previous.get("completion_tokens", 0)) + int(usage.get("completion_tokens", 0)),
        "cost_usd": float(Decimal(str(previous.get("cost_usd", 0))) + Decimal(str(usage.get("cost_usd", 0)))),
        "replies": int(previous.get("replies", 0)) + 1,
    }


def customer_message_handle(
    *, conversation: Conversation, content, client_message_id: str = ""
) -> tuple[Message, Message]:
    """Store the customer's message, draft a reply, apply the action rules, store and push it.

    Sending the same `client_message_id` twice (a retry after a dropped connection) returns
    the first exchange instead of asking twice.
    """
    text = message_content_clean(content)
    client_message_id = (client_message_id or "")[:64]
    existing = _existing_exchange(conversation, client_message_id)
    if existing and existing[1] is not None:
        return existing  # type: ignore[return-value]
    if existing:
        user_message = existing[0]
    else:
        customer_rate_limit_check(customer_id=conversation.customer_id)
        try:
            with transaction.atomic():
                user_message = conversation_message_create(
                    conversation=conversation, role=Role.USER, content=text, client_message_id=client_message_id
                )
                event_record(name=EventName.MESSAGE_SENT, conversation_id=conversation.id)
        except IntegrityError:
            # The same client id raced in on another socket: answer with that exchange.
            existing = _existing_exchange(conversation, client_message_id)
            if existing is None or existing[1] is None:
                raise
            return existing  # type: ignore[return-value]

    group = realtime.conversation_group(conversation.id)
    realtime.stream_now(group, {"type": "typing", "active": True})
    conversation.refresh_from_db(fields=["context"])
    reply_id = new_message_id()

    def on_delta(delta: str) -> None:
        realtime.stream_now(group, {"type": "token", "message_id": reply_id, "delta": delta})

    draft = draft_reply(
        text=text,
        context=conversation.context,
        conversation_id=conversation.id,
        history=_history(conversation, user_message.seq),
        on_delta=on_delta,
    )
    usage = {
        "prompt_tokens": int(draft.usage.get("prompt_tokens", 0)),
        "completion_tokens": int(draft.usage.get("completion_tokens", 0)),
        "cost_usd": float(draft.usage.get("cost_usd", 0.0)),
    }

    with transaction.atomic():
        context = {**conversation.context, **draft.context}
        context["usage"] = _usage_total(conversation.context.get("usage"), usage)
        Conversation.objects.filter(pk=conversation.pk).update(context=context)
        conversation.context = context
        _contact_remember(conversation.customer_id, draft.context.get("contact"))
        reply = conversation_message_create(
            message_id=reply_id,
            conversation=conversation,
            role=Role.ASSISTANT,
            content=draft.content,
            parts=draft.parts,
            metadata={
                "intent": draft.intent,
                "entities": draft.entities,
                "engine": draft.engine,
                "reply_to": user_message.id,
                "usage": usage,
                "grounding": draft.grounding,
                **({"fallback": draft.fallback} if draft.fallback else {}),
            },
            push=False,
        )
        conversation.customer.refresh_from_db(fields=["email", "phone"])
        known = Prerequisites(
            model_number=context.get("modelNumber", ""),
            contact_known=bool(conversation.customer.email or conversation.customer.phone),
            alternatives_requested=draft.intent == intents.ALTERNATIVES,
            conversation_id=conversation.id,
        )
        selected = (
            [] if draft.intent == intents.OUT_OF_SCOPE else actions_select(proposals=draft.proposals, known=known)
        )
        actions_render_for_message(conversation=conversation, message=reply, selected=selected, intent=draft.intent)
        event_record(
            name=EventName.INTENT_DETECTED,
            conversation_id=conversation.id,
            intent=draft.intent,
            ps_number=context.get("psNumber", ""),
            model_number=context.get("modelNumber", ""),
        )
        if draft.intent in intents.PURCHASE_INTENTS or any(a.type == "checkout_now" for a in selected):
            event_record(
                name=EventName.PURCHASE_INTENT_DETECTED,
                conversation_id=conversation.id,
                intent=draft.intent,
                ps_number=context.get("psNumber", ""),
                model_number=context.get("modelNumber", ""),
            )
        message_push(message=reply)
        realtime.send_event_on_commit(realtime.conversation_group(conversation.id), {"type": "typing", "active": False})
    return user_message, reply


def _contact_remember(customer_id: str, contact: dict | None) -> None:
    """A customer who gives an e-mail or phone in the chat can be told when a part is back."""
    if not contact:
        return
    updates = {}
    customer = Customer.objects.only("email", "phone").get(pk=customer_id)
    if contact.get("email") and not customer.email:
        updates["email"] = contact["email"][:254]
    if contact.get("phone") and not customer.phone:
        updates["phone"] = contact["phone"][:20]
    if updates:
        Customer.objects.filter(pk=customer_id).update(**updates)
