"""The one function other apps call to reach a customer: `outbound_send(message=...)`."""

import logging

from .base import DeliveryResult, OutboundChannel, OutboundMessage
from .email import EmailChannel
from .web import WebChannel
from .whatsapp import WhatsAppChannel

logger = logging.getLogger(__name__)

CHANNELS: dict[str, OutboundChannel] = {
    channel.name: channel for channel in (WebChannel(), WhatsAppChannel(), EmailChannel())
}


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
