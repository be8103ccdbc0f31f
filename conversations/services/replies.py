"""A customer speaks; the assistant answers. The one path every channel (REST, socket) takes.

Per-customer rate limits (PARLEY_RATE_LIMIT_PER_MINUTE / _PER_HOUR) refuse a message with
`rate_limited` (HTTP 429 on REST, an `error` event on the socket) before anything is
stored. The reply's id is reserved before drafting, so streamed `token` events
(`{"type": "token", "message_id", "delta"}`) name the message they belong to; the final
`message` event carries the grounded text, which replaces the streamed one.
"""

import time
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction

from actions.enums import ActionTypeName
from actions.services.selection import actions_render_for_message, actions_select
from actions.types import Prerequisites
from analytics.enums import EventName
from analytics.services import event_record, events_write_now
from catalog.selectors import catalog_reads_shared
from conversations.assistant import intents
from conversations.assistant.engines import draft_reply
from conversations.enums import Handling, Role
from conversations.error_codes import ConversationErrorCode
from conversations.models import Conversation, Customer, Message, new_message_id
from conversations.services.handoff_offers import handoff_offer_apply
from conversations.services.messages import conversation_message_create, message_content_clean, message_push
from core import realtime
from core.exceptions import Conflict, RateLimited
from core.ratelimit import rate_count


def _reply_to(user_message: Message) -> Message | None:
    return (
        Message.objects.filter(
            conversation_id=user_message.conversation_id,
            seq__gt=user_message.seq,
            role=Role.ASSISTANT,
            metadata__reply_to=user_message.id,
        )
        .order_by("seq")
        .first()
    )


def _lease_until() -> float:
    return time.time() + settings.PARLEY_REPLY_LEASE_SECONDS


def customer_rate_limit_check(*, customer_id: str) -> None:
    """Count one message for the customer (all their conversations); refuse it when over the limit.

    A shared cache counter (core/ratelimit.py): parallel messages cannot all pass, as they did
    when the check counted stored rows and then inserted."""
    rate = ",".join(
        f"{limit}/{unit}"
        for limit, unit in ((settings.PARLEY_RATE_LIMIT_PER_MINUTE, "m"), (settings.PARLEY_RATE_LIMIT_PER_HOUR, "h"))
    )
    wait = rate_count(scope="messages:customer", key=customer_id, rate=rate)
    if wait is not None:
        raise RateLimited(
            f"You've sent too many messages. Please wait {wait} seconds.",
            fields={"retryAfter": [str(wait)]},
            retry_after=wait,
        )


def _exchange_claim(
    *, conversation: Conversation, text: str, client_message_id: str
) -> tuple[Message, bool, str | None]:
    """Store the customer's message, or find the one stored under the same `client_message_id`.

    Returns (message, owned, handling): the request that stored it owns the exchange and drafts
    the reply; the unique (conversation, client_message_id) constraint makes exactly one request
    the owner however many race. Only the owner counts against the rate limit (in the same
    transaction, so a refused message is not stored). The owner reads the conversation once,
    under the lock the message's sequence number takes anyway: who answers it (`handling`, None
    for a retry, which has not read it), its context (set on `conversation`, as stored) and the
    customer and assignee the operators' inbox line shows."""
    if client_message_id:
        found = Message.objects.filter(conversation=conversation, client_message_id=client_message_id).first()
        if found is not None:
            return found, False, None
    try:
        with transaction.atomic():
            locked = (
                Conversation.objects.select_for_update(of=("self",))
                .select_related("customer", "assignee")
                .get(pk=conversation.pk)
            )
            user_message = conversation_message_create(
                conversation=locked,
                role=Role.USER,
                content=text,
                client_message_id=client_message_id,
                metadata={"reply_lease_until": _lease_until()} if client_message_id else None,
                locked=True,
            )
            customer_rate_limit_check(customer_id=conversation.customer_id)
            event_record(name=EventName.MESSAGE_SENT, conversation_id=conversation.id)
            events_write_now()  # this commit carries it: not a transaction of its own after it
    except IntegrityError:
        # Another request stored this client id first (it waited on the unique index): a retry.
        return Message.objects.get(conversation=conversation, client_message_id=client_message_id), False, None
    conversation.context, conversation.last_seq = locked.context, locked.last_seq
    return user_message, True, locked.handling


def _lease_take(user_message: Message) -> bool:
    """Take over an exchange whose owner is gone (its lease ran out, or it failed and let go)."""
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=user_message.pk)
        if _reply_to(locked) is not None or locked.metadata.get("reply_lease_until", 0) > time.time():
            return False
        locked.metadata = {**locked.metadata, "reply_lease_until": _lease_until()}
        locked.save(update_fields=["metadata"])
        return True


def _lease_release(user_message: Message) -> None:
    """The owner failed before storing a reply: the next retry may take over at once."""
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=user_message.pk)
        locked.metadata = {**locked.metadata, "reply_lease_until": 0}
        locked.save(update_fields=["metadata"])


def _reply_wait(user_message: Message) -> tuple[Message | None, bool]:
    """A retry of an exchange another request owns: wait for its reply (polling, backing off),
    taking the exchange over if the owner is gone. Returns (reply, owned)."""
    deadline = time.monotonic() + settings.PARLEY_REPLY_WAIT_SECONDS
    pause = 0.05
    while True:
        reply = _reply_to(user_message)
        if reply is not None:
            return reply, False
        if _human_holds(user_message.conversation_id):
            return None, False
        if _lease_take(user_message):
            return None, True
        if time.monotonic() >= deadline:
            raise Conflict(
                "The reply to this message is still being written; retry in a moment to get it.",
                code=ConversationErrorCode.REPLY_IN_PROGRESS,
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


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


_PERSON_HOLDS = (Handling.WAITING_FOR_HUMAN, Handling.ASSIGNED)


def _handling_and_context_read(conversation: Conversation) -> str:
    """Who answers the conversation now; `conversation.context` is refreshed in the same read
    (the reply is drafted from the context as stored, not as the caller loaded it)."""
    row = Conversation.objects.filter(pk=conversation.pk).values("handling", "context")[0]
    conversation.context = row["context"]
    return row["handling"]


def _human_holds(conversation_id: str) -> bool:
    """A person is asked for or holds the conversation: the assistant says nothing (no two voices)."""
    return Conversation.objects.filter(pk=conversation_id).values_list("handling", flat=True).first() in _PERSON_HOLDS


def customer_message_handle(
    *, conversation: Conversation, content, client_message_id: str = ""
) -> tuple[Message, Message | None]:
    """Store the customer's message, draft a reply, apply the action rules, store and push it.

    While a person is asked for or holds the conversation the message is stored (the inbox
    hears it) and the reply is None: the assistant stays silent until the handoff is resolved.

    Exactly one reply per `client_message_id`, whatever the timing: the request that stores the
    message owns the exchange; a retry (a dropped connection, a double send, another tab) waits
    for the owner's reply and returns that exchange, never drafting a second one. If the owner
    fails or dies, its lease (PARLEY_REPLY_LEASE_SECONDS) lets a retry take over; a retry that
    waits PARLEY_REPLY_WAIT_SECONDS without a reply gets 409 `reply_in_progress`.
    """
    text = message_content_clean(content)
    client_message_id = (client_message_id or "")[:64]
    user_message, owned, handling = _exchange_claim(
        conversation=conversation, text=text, client_message_id=client_message_id
    )
    if handling is None:  # a retry: as it is now
        handling = _handling_and_context_read(conversation)
    if handling in _PERSON_HOLDS:
        return user_message, None  # a person answers (conversations/services/handoff.py)
    if not owned:
        reply, owned = _reply_wait(user_message)
        if reply is not None:
            return user_message, reply
        if not owned:
            return user_message, None  # a person took the conversation while the reply was awaited
        text = user_message.content  # the stored message is the one answered
        conversation.refresh_from_db(fields=["context"])  # as it is after the wait
    try:
        with catalog_reads_shared():  # the parts and models the reply names are read once
            return _reply_write(conversation=conversation, user_message=user_message, text=text)
    except Exception:
        if client_message_id:
            _lease_release(user_message)
        raise


def _reply_write(*, conversation: Conversation, user_message: Message, text: str) -> tuple[Message, Message | None]:
    """Draft, check and store the reply to `user_message` (its owner only) and push it."""
    group = realtime.conversation_group(conversation.id)
    # Typing and tokens relate to the message being answered: the reply will follow it.
    realtime.stream_now(group, {"type": "typing", "active": True, "seq": user_message.seq})
    reply_id = new_message_id()

    def on_delta(delta: str) -> None:
        realtime.stream_now(group, {"type": "token", "seq": user_message.seq, "message_id": reply_id, "delta": delta})

    draft = draft_reply(
        text=text,
        context=conversation.context,
        conversation_id=conversation.id,
        history=lambda: _history(conversation, user_message.seq),
        on_delta=on_delta,
    )
    draft = handoff_offer_apply(conversation_id=conversation.id, user_message=user_message, draft=draft)
    usage = {
        "prompt_tokens": int(draft.usage.get("prompt_tokens", 0)),
        "completion_tokens": int(draft.usage.get("completion_tokens", 0)),
        "cost_usd": float(draft.usage.get("cost_usd", 0.0)),
    }

    with transaction.atomic():
        if user_message.client_message_id:
            # The one reply: a slow owner whose lease ran out may find a taker's reply stored.
            # (Without a client id there is no retry to take the exchange over.)
            Message.objects.select_for_update().filter(pk=user_message.pk).first()
            stored = _reply_to(user_message)
            if stored is not None:
                return user_message, stored
        # One read of the locked conversation: whether a person took over while this was
        # drafted, the context as stored now (another exchange may have changed it), whether
        # the shop can reach the customer, and the last seq the reply follows.
        current = (
            Conversation.objects.select_for_update(of=("self",))
            .filter(pk=conversation.pk)
            .values("handling", "context", "last_seq", "customer__email", "customer__phone")[0]
        )
        if current["handling"] in _PERSON_HOLDS:
            realtime.send_event_on_commit(group, {"type": "typing", "active": False, "seq": user_message.seq})
            return user_message, None
        context = {**current["context"], **draft.context}
        context["usage"] = _usage_total(current["context"].get("usage"), usage)
        email, phone = _contact_remember(
            conversation,
            draft.context.get("contact"),
            email=current["customer__email"],
            phone=current["customer__phone"],
        )
        conversation.last_seq = current["last_seq"]
        reply = conversation_message_create(
            locked=True,
            message_id=reply_id,
            conversation=conversation,
            conversation_fields={"context": context},  # stored with the reply's seq, one UPDATE
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
        known = Prerequisites(
            model_number=context.get("modelNumber", ""),
            contact_known=bool(email or phone),
            alternatives_requested=draft.intent == intents.ALTERNATIVES,
            conversation_id=conversation.id,
        )
        selected = (
            [] if draft.intent == intents.OUT_OF_SCOPE else actions_select(proposals=draft.proposals, known=known)
        )
        rendered = actions_render_for_message(
            conversation=conversation, message=reply, selected=selected, intent=draft.intent
        )
        event_record(
            name=EventName.INTENT_DETECTED,
            conversation_id=conversation.id,
            intent=draft.intent,
            ps_number=context.get("psNumber", ""),
            model_number=context.get("modelNumber", ""),
        )
        if draft.intent in intents.PURCHASE_INTENTS or any(a.type == ActionTypeName.CHECKOUT_NOW for a in selected):
            event_record(
                name=EventName.PURCHASE_INTENT_DETECTED,
                conversation_id=conversation.id,
                intent=draft.intent,
                ps_number=context.get("psNumber", ""),
                model_number=context.get("modelNumber", ""),
            )
        message_push(message=reply, actions=rendered)
        realtime.send_event_on_commit(group, {"type": "typing", "active": False, "seq": reply.seq})
        events_write_now()  # the intent and buttons' events go with the reply's commit
    return user_message, reply


def _contact_remember(conversation: Conversation, contact: dict | None, *, email: str, phone: str) -> tuple[str, str]:
    """A customer who gives an e-mail or phone in the chat can be told when a part is back.
    `email` and `phone` are the customer's as stored; returns them as they are now."""
    updates = {}
    if contact and contact.get("email") and not email:
        updates["email"] = email = contact["email"][:254]
    if contact and contact.get("phone") and not phone:
        updates["phone"] = phone = contact["phone"][:20]
    if updates:
        Customer.objects.filter(pk=conversation.customer_id).update(**updates)
    if Conversation.customer.is_cached(conversation):  # a socket keeps its conversation for later messages
        conversation.customer.email, conversation.customer.phone = email, phone
    return email, phone
