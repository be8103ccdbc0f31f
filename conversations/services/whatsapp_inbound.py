"""The WhatsApp webhook's back half (in Celery): what an inbound message or status callback does.

- A **text** is a customer message of the number's WhatsApp conversation (the customer keyed by
  E.164, found or created; the open WhatsApp conversation, or a new one) through
  `customer_message_handle`, the web chat's own path (rate limits, one reply per message, the
  action rules); the reply goes back through the outbox (`whatsapp_outbound`). The message's
  WhatsApp id is its `client_message_id`, so a repeat never makes a second reply.
- **STOP** (also "STOP ALL", "UNSUBSCRIBE") ends every alert to the number (`alerts`) and says so.
- A tapped **reply button** (`interactive.button_reply`, or a template's quick-reply `button`)
  is a click on the action it names, only if the action belongs to one of this number's own
  WhatsApp conversations; what the web does next for that type happens here: `checkout_now`
  makes the hosted checkout (the customer confirms and pays there) and answers with it as a
  CTA URL button; `check_compatible_alternatives` answers with the alternatives;
  `notify_when_in_stock` subscribes this number; an operator-decided type waits for an operator,
  whose reply comes back on WhatsApp (`actions.response`).
- A **status callback** lands on the message we sent (`whatsapp_status`); one that arrives before
  the send was recorded is tried again later.
Anything else (images, locations, …) gets a short answer that only text and buttons are read.

Each event is taken under a lease (`leased_until`), so two workers never process it at once;
processing it again after a crash finds what was already stored (the customer message by its
client id, answers by their event key) and enqueues nothing new (outbox keys).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from actions.enums import ActionTypeName
from actions.models import Action
from actions.services.clicks import action_click
from actions.services.execution import action_alternatives_execute
from actions.types import action_type_get
from alerts.enums import AlertChannel, SubscriptionStatus
from alerts.services.subscriptions import back_in_stock_subscribe_for_action, subscriptions_unsubscribe_phone
from checkout.services.sessions import checkout_session_create_for_action
from conversations.enums import Channel, ConversationStatus, Role, WhatsAppEventKind
from conversations.models import Conversation, Customer, Message, WhatsAppContact, WhatsAppEvent
from conversations.services.conversations import conversation_start
from conversations.services.messages import conversation_message_create
from conversations.services.replies import customer_message_handle
from conversations.services.whatsapp_outbound import whatsapp_message_enqueue, whatsapp_waiting_resend
from conversations.services.whatsapp_status import whatsapp_status_apply
from core.enums import InboundEventStatus
from core.exceptions import ApplicationError, Conflict
from core.inbound import inbound_events_due
from core.money import money_display

logger = logging.getLogger(__name__)

LEASE_SECONDS = 120
NOT_READY = "not_ready"
SKIPPED = "skipped"
# A status callback for a message we have no record of is tried this often (with the task's
# backoff and the beat's sweep, some minutes), then ignored: it was not one of ours.
STATUS_MAX_ATTEMPTS = 8
# An event whose processing raised this many times is marked failed (admin: WhatsApp events).
MAX_ATTEMPTS = 10
STOP_WORDS = frozenset({"stop", "stop all", "stopall", "unsubscribe"})
UNSUPPORTED = "Sorry, I can only read text messages and button taps here. Please type your question."


# --- the event: claim, run, record -----------------------------------------------------------


def _claim(event_id: int) -> WhatsAppEvent | None:
    now = timezone.now()
    claimed = (
        WhatsAppEvent.objects.filter(pk=event_id, status=InboundEventStatus.RECEIVED)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(leased_until=now + timedelta(seconds=LEASE_SECONDS), attempts=F("attempts") + 1)
    )
    return WhatsAppEvent.objects.get(pk=event_id) if claimed else None


def whatsapp_event_process(*, event_id: int) -> str:
    """Process one stored event; safe to call any number of times, from any number of workers."""
    event = _claim(event_id)
    if event is None:
        return SKIPPED
    if event.attempts > MAX_ATTEMPTS:
        # It broke every time (the error of the last try is on the row): stop, and let operators see it.
        logger.error("whatsapp event %s gave up after %s attempts: %s", event.key, MAX_ATTEMPTS, event.error)
        WhatsAppEvent.objects.filter(pk=event.pk).update(
            status=InboundEventStatus.FAILED, leased_until=None, processed_at=timezone.now()
        )
        return InboundEventStatus.FAILED
    try:
        result = _on_status(event) if event.kind == WhatsAppEventKind.STATUS else _on_message(event)
    except Conflict as exc:  # the reply to this message is being written by another worker
        result, error = NOT_READY, exc.detail
    except Exception as exc:
        WhatsAppEvent.objects.filter(pk=event.pk).update(leased_until=None, error=f"{type(exc).__name__}: {exc}"[:1000])
        raise
    else:
        error = ""
    if result == NOT_READY:
        if event.kind == WhatsAppEventKind.STATUS and event.attempts >= STATUS_MAX_ATTEMPTS:
            result = InboundEventStatus.IGNORED
            error = "No message of ours has this wamid."
        else:
            WhatsAppEvent.objects.filter(pk=event.pk).update(leased_until=None, error=error[:1000])
            return NOT_READY
    WhatsAppEvent.objects.filter(pk=event.pk).update(
        status=result, leased_until=None, error=error[:1000], processed_at=timezone.now()
    )
    return result


def _on_status(event: WhatsAppEvent) -> str:
    status = _dict(event.payload.get("status"))
    found = whatsapp_status_apply(wamid=event.wamid, status=status, at=event.occurred_at)
    return InboundEventStatus.PROCESSED if found else NOT_READY


def _dict(value) -> dict:
    """A part of Meta's payload, or {} if it is not the object it should be."""
    return value if isinstance(value, dict) else {}


def _on_message(event: WhatsAppEvent) -> str:
    message = _dict(event.payload.get("message"))
    contact, conversation = _contact_and_conversation(event)
    kind = message.get("type")
    interactive = _dict(message.get("interactive"))
    if kind == "text":
        text = _dict(message.get("text")).get("body")
        if isinstance(text, str) and " ".join(text.lower().split()) in STOP_WORDS:
            _opt_out(event, contact=contact, conversation=conversation, text=text)
        else:
            _customer_text(event, contact=contact, conversation=conversation, text=text)
    elif kind == "interactive" and interactive.get("type") == "button_reply":
        reply = _dict(interactive.get("button_reply"))
        _tap(event, contact=contact, conversation=conversation, action_id=reply.get("id"), title=reply.get("title"))
    elif kind == "button":  # a template's quick-reply button: its payload is what we put there
        button = _dict(message.get("button"))
        _tap(
            event, contact=contact, conversation=conversation, action_id=button.get("payload"), title=button.get("text")
        )
    else:
        _answer(event, conversation=conversation, contact=contact, text=UNSUPPORTED)
        whatsapp_waiting_resend(phone=contact.phone)
        return InboundEventStatus.IGNORED
    whatsapp_waiting_resend(phone=contact.phone)
    return InboundEventStatus.PROCESSED


# --- who wrote, and in which conversation ---------------------------------------------------


@transaction.atomic
def _contact_and_conversation(event: WhatsAppEvent) -> tuple[WhatsAppContact, Conversation]:
    """The number's contact (its customer: one with this number verified, else a new one), its
    window moved to this message, and its open WhatsApp conversation (else a new one). The
    contact's row lock makes concurrent first messages from one number share one conversation."""
    profile_name = str(event.payload.get("profile_name") or "")[:200]
    contact = WhatsAppContact.objects.select_for_update().filter(phone=event.phone).first()
    if contact is None:
        try:
            with transaction.atomic():
                customer = Customer.objects.filter(phone=event.phone, phone_verified=True).order_by(
                    "created_at"
                ).first() or Customer.objects.create(name=profile_name, phone=event.phone, phone_verified=True)
                WhatsAppContact.objects.create(phone=event.phone, customer=customer, profile_name=profile_name)
        except IntegrityError:
            pass  # another worker made it first
        contact = WhatsAppContact.objects.select_for_update().select_related("customer").get(phone=event.phone)
    wrote_at = min(event.occurred_at or timezone.now(), timezone.now())
    if contact.last_inbound_at is None or wrote_at > contact.last_inbound_at:
        contact.last_inbound_at = wrote_at
    if profile_name:
        contact.profile_name = profile_name
    contact.save(update_fields=["last_inbound_at", "profile_name", "updated_at"])
    conversation = (
        Conversation.objects.filter(
            customer_id=contact.customer_id, channel=Channel.WHATSAPP, status=ConversationStatus.OPEN
        )
        .order_by("-created_at")
        .first()
    )
    if conversation is None:
        conversation, _token = conversation_start(channel=Channel.WHATSAPP, customer=contact.customer)
    return contact, conversation


def _client_id(event: WhatsAppEvent) -> str:
    """The message's WhatsApp id as a client message id (64 characters at most)."""
    return "wa:" + hashlib.sha256(event.wamid.encode()).hexdigest()[:40]


# --- what the customer sent ------------------------------------------------------------------


def _customer_text(event: WhatsAppEvent, *, contact: WhatsAppContact, conversation: Conversation, text) -> None:
    try:
        _user_message, reply = customer_message_handle(
            conversation=conversation, content=text, client_message_id=_client_id(event)
        )
    except Conflict:
        raise
    except ApplicationError as exc:  # too long, empty, too many messages: the customer is told why
        _answer(event, conversation=conversation, contact=contact, text=exc.detail, metadata={"error": exc.code})
        return
    if reply is None:
        return  # a person holds the conversation: their reply goes out as an operator reply
    with transaction.atomic():
        whatsapp_message_enqueue(message=reply, to=contact.phone)


def _customer_note(event: WhatsAppEvent, *, conversation: Conversation, text: str, metadata: dict) -> Message:
    """What the customer sent that is not a question for the assistant (a tap, STOP), stored once."""
    client_id = _client_id(event)
    found = Message.objects.filter(conversation=conversation, client_message_id=client_id).first()
    if found is not None:
        return found
    try:
        return conversation_message_create(
            conversation=conversation,
            role=Role.USER,
            content=(text or "")[:1000],
            client_message_id=client_id,
            metadata={"whatsapp_event": event.key, **metadata},
        )
    except IntegrityError:
        return Message.objects.get(conversation=conversation, client_message_id=client_id)


@transaction.atomic
def _answer(
    event: WhatsAppEvent,
    *,
    conversation: Conversation,
    contact: WhatsAppContact,
    text: str,
    metadata: dict | None = None,
) -> Message:
    """Our answer to an event: stored in the conversation once, sent on WhatsApp once."""
    Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
    answer = Message.objects.filter(conversation=conversation, role=Role.ASSISTANT, metadata__answers=event.key).first()
    if answer is None:
        answer = conversation_message_create(
            conversation=conversation,
            role=Role.ASSISTANT,
            content=text,
            metadata={"answers": event.key, **(metadata or {})},
        )
    whatsapp_message_enqueue(message=answer, to=contact.phone)
    return answer


def _opt_out(event: WhatsAppEvent, *, contact: WhatsAppContact, conversation: Conversation, text: str) -> None:
    _customer_note(event, conversation=conversation, text=text, metadata={"opt_out": True})
    with transaction.atomic():
        ended = subscriptions_unsubscribe_phone(phone=contact.phone)
        WhatsAppContact.objects.filter(pk=contact.pk).update(opted_out_at=timezone.now())
    alerts = f"{ended} back-in-stock alert{'s' if ended != 1 else ''}" if ended else "back-in-stock alerts"
    _answer(
        event,
        conversation=conversation,
        contact=contact,
        text=f"Done: this number is unsubscribed from {alerts}. You can still write to us here any time.",
        metadata={"opt_out": True, "unsubscribed": ended},
    )


# --- a tapped button -------------------------------------------------------------------------


def _tap(event: WhatsAppEvent, *, contact: WhatsAppContact, conversation: Conversation, action_id, title) -> None:
    _customer_note(event, conversation=conversation, text=str(title or "(button)"), metadata={"tapped": str(action_id)})
    action = None
    if isinstance(action_id, str) and action_id:
        # Only this number's own WhatsApp conversations: any other id is simply unknown.
        action = (
            Action.objects.select_related("conversation__customer")
            .filter(
                id=action_id[:64], conversation__customer_id=contact.customer_id, conversation__channel=Channel.WHATSAPP
            )
            .first()
        )
    if action is None:
        _answer(event, conversation=conversation, contact=contact, text="That button is no longer available.")
        return
    if action.conversation_id != conversation.pk:
        conversation = action.conversation
    try:
        text, metadata = _execute(action, contact=contact)
    except ApplicationError as exc:
        text, metadata = exc.detail, {"action_id": action.id, "error": exc.code}
    _answer(event, conversation=conversation, contact=contact, text=text, metadata=metadata)


def _execute(action: Action, *, contact: WhatsAppContact) -> tuple[str, dict]:
    """What the web does after a click on this type, with the answer for WhatsApp."""
    meta = {"action_id": action.id}
    if action.type == ActionTypeName.CHECKOUT_NOW:
        session = checkout_session_create_for_action(action=action)
        lines = ", ".join(f"{line['quantity']} × {line['name']} ({line['sku']})" for line in session.line_items)
        amount = money_display(session.amount_total, session.currency)
        text = f"Your order: {lines}. Total {amount}. Pay securely with the button below; the link is valid for 30 minutes."
        # A CTA button needs an absolute URL (the offline provider's page is a path on this site).
        url = session.url if "://" in session.url else settings.PARLEY_PUBLIC_URL.rstrip("/") + session.url
        return text, {**meta, "checkout": {"url": url, "label": f"Pay {amount}", "sessionId": session.id}}
    if action.type == ActionTypeName.CHECK_COMPATIBLE_ALTERNATIVES:
        cards = action_alternatives_execute(action=action)
        if not cards:
            return "I couldn't find a compatible alternative in our catalogue.", meta
        lines = "\n".join(
            f"• {c['name']} ({c['psNumber']}): {c['price']} {c['currency']}, "
            f"{'in stock' if c.get('inStock') else 'out of stock'}"
            for c in cards
        )
        return f"Compatible alternatives:\n{lines}", meta
    if action.type == ActionTypeName.NOTIFY_WHEN_IN_STOCK:
        result = back_in_stock_subscribe_for_action(action=action, contact=contact.phone, channel=AlertChannel.WHATSAPP)
        WhatsAppContact.objects.filter(pk=contact.pk).update(opted_out_at=None)  # a new, explicit opt-in
        ps_number = action.payload.get("psNumber", "")
        if result.subscription.status == SubscriptionStatus.PENDING:
            return f"Almost done: please confirm the alert for {ps_number} with the link we sent.", meta
        return f"Done: we'll message you here as soon as {ps_number} is back in stock. Reply STOP to stop alerts.", meta
    action_click(action=action)
    action_type = action_type_get(action.type)
    if action_type is not None and action_type.needs_operator:
        return "Thanks: a member of our team will look at your request and answer here.", meta
    return "Noted.", meta


def whatsapp_events_due(*, grace_seconds: int = 60, limit: int = 500) -> list[int]:
    """Events still to do a while after they arrived, with no worker holding them."""
    unleased = WhatsAppEvent.objects.filter(Q(leased_until__isnull=True) | Q(leased_until__lt=timezone.now()))
    return inbound_events_due(unleased, grace_seconds=grace_seconds, limit=limit)
