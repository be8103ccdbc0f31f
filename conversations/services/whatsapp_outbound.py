"""A conversation's message as WhatsApp messages, sent through the outbox (kind `conversations.whatsapp`).

The reply contract rendered for this channel:
- the text, with the product cards of `parts` as short lines (name, part number, price, stock);
- the message's live actions as interactive **reply buttons** (at most 3, the action rules
  already cap there; titles at most 20 characters: the label if it fits, else the type's short
  label, else the label cut); the button id is the action id, so a tap comes back as
  `interactive.button_reply` naming it (`whatsapp_inbound`);
- a checkout link (`metadata["checkout"]`, written when a `checkout_now` tap made a session) as
  a **CTA URL button**.
An interactive body holds at most 1024 characters: a longer text goes first as a text message.

Each WhatsApp message is one outbox delivery keyed `whatsapp:<message id>:<n>`, enqueued in the
transaction that stored the message, so a repeat enqueues nothing and the outbox's retries,
leases and idempotency key apply. Outside the 24-hour window a reply waits (cancelled, sent
again when the customer next writes: `whatsapp_waiting_resend`) or goes by email
(`conversations.outbound.whatsapp`). A delivery the outbox gives up on is surfaced in the
conversation.
"""

from __future__ import annotations

from actions.enums import ActionTypeName
from actions.state_machine import CLICKABLE
from conversations.enums import Channel
from conversations.models import Message
from core.outbound import OutboundMessage, outbound_send
from core.outbox.enums import DeliveryStatus
from core.outbox.models import OutboundDelivery
from core.outbox.registry import Sender, SendResult
from core.outbox.services import deliveries_resend, delivery_enqueue

KIND = "conversations.whatsapp"
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
INTERACTIVE_BODY_MAX = 1024
TEXT_MAX = 4096
CHOOSE = "Choose an option:"

# Titles for this channel when an action's label is longer than WhatsApp's 20 characters.
SHORT_LABELS = {
    ActionTypeName.CHECKOUT_NOW: "Checkout now",
    ActionTypeName.CHECK_COMPATIBLE_ALTERNATIVES: "See alternatives",
    ActionTypeName.NOTIFY_WHEN_IN_STOCK: "Notify me",
    ActionTypeName.REFUND_REQUEST: "Request a refund",
    ActionTypeName.ORDER_CANCELLATION: "Cancel my order",
    ActionTypeName.POLICY_EXCEPTION: "Ask for an exception",
    ActionTypeName.POLICY_CLARIFICATION: "Ask our team",
}


def button_title(*, label: str, action_type: str, taken: set[str]) -> str:
    """At most 20 characters and unique within the message (WhatsApp refuses duplicates)."""
    label = " ".join(label.split())
    candidates = [label, SHORT_LABELS.get(action_type, ""), label[: BUTTON_TITLE_MAX - 1].rstrip() + "…"]
    for title in candidates:
        if title and len(title) <= BUTTON_TITLE_MAX and title not in taken:
            return title
    base = (SHORT_LABELS.get(action_type) or label)[: BUTTON_TITLE_MAX - 3].rstrip()
    number = 2
    while f"{base} {number}" in taken:
        number += 1
    return f"{base} {number}"


def _product_lines(parts: list) -> str:
    lines = []
    for part in parts or []:
        if not isinstance(part, dict) or part.get("type") != "product_card":
            continue
        stock = "in stock" if part.get("inStock") else "out of stock"
        price = f"{part.get('price', '')} {part.get('currency', '')}".strip()
        lines.append(f"• {part.get('name', '')} ({part.get('psNumber', '')}): {price}, {stock}")
    return "\n".join(lines)


def _text_body(text: str) -> dict:
    return {"type": "text", "text": {"preview_url": False, "body": text[:TEXT_MAX]}}


def whatsapp_render(*, message: Message) -> list[tuple[str, dict]]:
    """(plain text, Cloud API body) for each WhatsApp message that carries `message`."""
    text = "\n\n".join(x for x in (message.content.strip(), _product_lines(message.parts)) if x)
    checkout = message.metadata.get("checkout") if isinstance(message.metadata.get("checkout"), dict) else None
    actions = [a for a in message.actions.all().order_by("created_at", "id") if a.enabled and a.status in CLICKABLE]
    actions = actions[:BUTTONS_MAX]
    if not checkout and not actions:
        chunks = [text[i : i + TEXT_MAX] for i in range(0, len(text), TEXT_MAX)] or []
        return [(chunk, _text_body(chunk)) for chunk in chunks]
    out: list[tuple[str, dict]] = []
    body_text = text
    if len(text) > INTERACTIVE_BODY_MAX or not text:
        if text:
            out.append((text[:TEXT_MAX], _text_body(text)))
        body_text = CHOOSE
    if checkout:
        interactive = {
            "type": "cta_url",
            "body": {"text": body_text},
            "action": {
                "name": "cta_url",
                "parameters": {
                    "display_text": str(checkout.get("label") or "Pay now")[:BUTTON_TITLE_MAX],
                    "url": str(checkout["url"]),
                },
            },
        }
    else:
        taken: set[str] = set()
        buttons = []
        for action in actions:
            title = button_title(label=action.label, action_type=action.type, taken=taken)
            taken.add(title)
            buttons.append({"type": "reply", "reply": {"id": action.id, "title": title}})
        interactive = {"type": "button", "body": {"text": body_text}, "action": {"buttons": buttons}}
    out.append((text or body_text, {"type": "interactive", "interactive": interactive}))
    return out


def whatsapp_message_enqueue(*, message: Message, to: str) -> list[OutboundDelivery]:
    """In the caller's transaction: the message goes to `to` (E.164) once that commits, once."""
    deliveries = []
    for number, (text, body) in enumerate(whatsapp_render(message=message)):
        deliveries.append(
            delivery_enqueue(
                kind=KIND,
                key=f"whatsapp:{message.pk}:{number}",
                payload={
                    "to": to,
                    "conversation_id": message.conversation_id,
                    "message_id": message.pk,
                    "text": text,
                    "body": body,
                },
            )
        )
    return deliveries


def conversation_message_relay(*, message: Message) -> None:
    """A message stored for a WhatsApp conversation (a payment confirmed, a checkout closed) goes
    to the customer's phone too; other channels hear it from the stored message."""
    conversation = message.conversation
    if conversation.channel != Channel.WHATSAPP or not conversation.customer.phone:
        return
    whatsapp_message_enqueue(message=message, to=conversation.customer.phone)


def whatsapp_waiting_resend(*, phone: str) -> int:
    """The customer wrote again: replies that waited for the window go now."""
    waiting = OutboundDelivery.objects.filter(kind=KIND, status=DeliveryStatus.CANCELLED, payload__to=phone)
    return deliveries_resend(delivery_ids=list(waiting.values_list("pk", flat=True)[:50]))


class WhatsAppReplySender(Sender):
    """Sends one rendered WhatsApp message of a conversation (outbox kind `conversations.whatsapp`)."""

    kind = KIND

    def send(self, delivery: OutboundDelivery) -> SendResult:
        payload = delivery.payload
        return outbound_send(
            message=OutboundMessage(
                channel=Channel.WHATSAPP,
                to=payload["to"],
                text=payload["text"],
                conversation_id=payload.get("conversation_id", ""),
                idempotency_key=delivery.key,
                extra={
                    "whatsapp": payload["body"],
                    "message_id": payload.get("message_id", ""),
                    "whatsapp_template": "",  # a chat reply has no template: it waits or goes by email
                    "wait_for_window": True,
                },
            )
        )

    def on_failed(self, delivery: OutboundDelivery, result: SendResult) -> None:
        from conversations.services.whatsapp_status import whatsapp_failure_surface

        payload = delivery.payload
        whatsapp_failure_surface(
            conversation_id=payload.get("conversation_id", ""),
            message_id=payload.get("message_id") or None,
            error=result.error,
        )
