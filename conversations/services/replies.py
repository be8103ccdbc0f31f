"""A customer speaks; the assistant answers. The one path every channel (REST, socket) takes."""

from django.db import IntegrityError, transaction

from actions.services.selection import actions_render_for_message, actions_select
from actions.types import Prerequisites
from analytics.enums import EventName
from analytics.services import event_record
from conversations.assistant import intents
from conversations.assistant.engines import draft_reply
from conversations.enums import Role
from conversations.models import Conversation, Message
from conversations.services.messages import conversation_message_create, message_content_clean, message_push
from core import realtime


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

    realtime.send_now(realtime.conversation_group(conversation.id), {"type": "typing", "active": True})
    conversation.refresh_from_db(fields=["context"])
    draft = draft_reply(text=text, context=conversation.context, conversation_id=conversation.id)

    with transaction.atomic():
        context = {**conversation.context, **draft.context}
        Conversation.objects.filter(pk=conversation.pk).update(context=context)
        conversation.context = context
        reply = conversation_message_create(
            conversation=conversation,
            role=Role.ASSISTANT,
            content=draft.content,
            parts=draft.parts,
            metadata={
                "intent": draft.intent,
                "entities": draft.entities,
                "engine": draft.engine,
                "reply_to": user_message.id,
                "usage": draft.usage,
            },
            push=False,
        )
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
        transaction.on_commit(
            lambda: realtime.send_now(realtime.conversation_group(conversation.id), {"type": "typing", "active": False})
        )
    return user_message, reply
