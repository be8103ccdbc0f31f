"""WhatsApp Cloud API: a text message to the customer's phone number.

POST {WHATSAPP_API_BASE}/{WHATSAPP_PHONE_NUMBER_ID}/messages with a bearer token. A 4xx is the
request's fault (bad number, expired token, outside the 24-hour window) and is not retried;
timeouts, connection errors, 429 and 5xx are.
"""

import logging

import httpx
from django.conf import settings

from .base import DeliveryResult, OutboundChannel, OutboundMessage

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_TEXT = 4096  # the Cloud API's limit on a text body


def _error_text(response: httpx.Response) -> str:
    try:
        error = response.json().get("error") or {}
        detail = error.get("message") or response.text
    except ValueError:
        detail = response.text
    return f"WhatsApp API {response.status_code}: {detail}"[:1000]


class WhatsAppChannel(OutboundChannel):
    name = "whatsapp"

    def is_configured(self) -> bool:
        return bool(settings.WHATSAPP_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID)

    def url(self) -> str:
        return f"{settings.WHATSAPP_API_BASE.rstrip('/')}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages"

    def send(self, message: OutboundMessage) -> DeliveryResult:
        if not self.is_configured():
            return DeliveryResult.failed(
                "WhatsApp is not configured (WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID).", retryable=False
            )
        to = message.to.strip().lstrip("+")
        if not to.isdigit():
            return DeliveryResult.failed(f"Not a phone number: {message.to!r}.", retryable=False)
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": False, "body": message.text[:MAX_TEXT]},
        }
        headers = {"Authorization": f"Bearer {settings.WHATSAPP_TOKEN}"}
        if message.idempotency_key:
            headers["Idempotency-Key"] = message.idempotency_key
        try:
            response = httpx.post(self.url(), json=body, headers=headers, timeout=TIMEOUT)
        except httpx.TimeoutException as exc:
            return DeliveryResult.failed(f"WhatsApp API timed out: {exc!r}", retryable=True)
        except httpx.HTTPError as exc:
            return DeliveryResult.failed(f"WhatsApp API unreachable: {exc!r}", retryable=True)
        if response.status_code >= 500 or response.status_code == 429:
            return DeliveryResult.failed(_error_text(response), retryable=True)
        if response.status_code >= 400:
            return DeliveryResult.failed(_error_text(response), retryable=False)
        try:
            messages = response.json().get("messages") or []
            external_id = messages[0].get("id", "") if messages else ""
        except (ValueError, AttributeError):
            external_id = ""
        return DeliveryResult.ok(external_id=external_id)
