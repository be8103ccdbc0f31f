"""Outbound channels: how a message reaches a customer outside the request that caused it.

Every app below or beside conversations (actions' operator decisions, alerts' notices) and
conversations itself call one function, `outbound_send(message=...)`; each channel (web push,
WhatsApp Cloud API, email) sits behind it and is off unless configured. The channels are
conversations' (they know its customers and sockets) and are registered from its
`AppConfig.ready()`:

    channel_register(WhatsAppChannel())

so nothing here, nor in the apps that send, imports conversations.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.outbox.registry import SendResult

logger = logging.getLogger(__name__)


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

    def address_for(self, conversation) -> str | None:
        """Where this channel reaches the customer of `conversation` (possibly "" when they gave
        none: the send then fails and says so), or None when the chat itself is the channel (the
        stored message, pushed to its sockets, is the delivery)."""
        return None

    def send(self, message: OutboundMessage) -> DeliveryResult:  # pragma: no cover - interface
        raise NotImplementedError


CHANNELS: dict[str, OutboundChannel] = {}


def channel_register(channel: OutboundChannel) -> None:
    CHANNELS[channel.name] = channel


def outbound_channel_get(name: str) -> OutboundChannel | None:
    return CHANNELS.get(name)


def outbound_send(*, message: OutboundMessage) -> DeliveryResult:
    """Deliver one message on its channel. Never raises for a delivery problem: the result says.

    A channel that is unknown or not configured gives a non-retryable failure with a clear error.
    Call it from a Celery task (or an on-commit callback), never inside an open transaction
    whose rollback would leave a message sent for nothing.
    """
    channel = CHANNELS.get(message.channel)
    if channel is None:
        return DeliveryResult.failed(f"Unknown channel {message.channel!r}.", retryable=False)
    if not channel.is_configured():
        return DeliveryResult.failed(f"The {message.channel} channel is not configured.", retryable=False)
    try:
        result = channel.send(message)
    except Exception as exc:  # a bug in a channel must not lose the message: record and retry later
        logger.exception("outbound %s to %s failed", message.channel, message.to)
        return DeliveryResult.failed(f"{type(exc).__name__}: {exc}", retryable=True)
    if not result.is_success:
        logger.warning("outbound %s to %s failed: %s", message.channel, message.to, result.error)
    return result
