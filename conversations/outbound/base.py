"""The small dataclasses every outbound channel takes and returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.outbox.registry import SendResult


@dataclass(frozen=True)
class OutboundMessage:
    """One message to one customer on one channel.

    `to` is the channel's address: a phone number in E.164 for WhatsApp, an email address for
    email, the conversation id for the web chat (where `conversation_id` is also enough).
    `idempotency_key` identifies the message across retries, so a receiver can drop a repeat.
    """

    channel: str
    to: str
    text: str
    subject: str = ""
    conversation_id: str = ""
    idempotency_key: str = ""
    # Extra fields a channel may use (e.g. the web push's event payload); never required.
    extra: dict = field(default_factory=dict)


# A channel's answer is the outbox's result type: one shape from the channel to the record.
DeliveryResult = SendResult


class OutboundChannel:
    """What every channel implements."""

    name: str = ""

    def is_configured(self) -> bool:
        return True

    def send(self, message: OutboundMessage) -> DeliveryResult:  # pragma: no cover - interface
        raise NotImplementedError
