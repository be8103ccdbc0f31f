"""WhatsApp Cloud API: one message to the customer's phone number, inside the rules of the channel.

POST {WHATSAPP_API_BASE}/{WHATSAPP_PHONE_NUMBER_ID}/messages with a bearer token. A 4xx is the
request's fault (bad number, expired token, outside the 24-hour window) and is not retried;
timeouts, connection errors, 429 and 5xx are.

What is sent: `message.extra["whatsapp"]` when the caller built a body (interactive reply
buttons, a CTA URL button: `conversations.services.whatsapp_outbound` renders them), else the
text. The 24-hour customer-service window (WHATSAPP_WINDOW_HOURS since the number last wrote
to us) is checked here, for every sender alike: outside it only an approved template may go,
the one configured for the message's purpose (`extra["whatsapp_template"]`: `back_in_stock`,
or `follow_up` by default; "" for none). Without a template the message goes by email when the
customer has an address; a chat reply (`extra["wait_for_window"]`) waits for the customer's
next message; anything else fails, final and visible, with the reason.

Every message the API accepts is recorded (`WhatsAppMessage`, by its `wamid`), so Meta's status
callbacks (sent, delivered, read, failed) land on it.
"""

import logging

import httpx
from django.conf import settings

from core.outbound import DeliveryResult, OutboundChannel, OutboundMessage

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_TEXT = 4096  # the Cloud API's limit on a text body
MAX_TEMPLATE_PARAMETER = 1024
FOLLOW_UP = "follow_up"
WINDOW_CLOSED = "Outside WhatsApp's 24-hour customer-service window"


def _error_text(response: httpx.Response) -> str:
    try:
        error = response.json().get("error") or {}
        detail = error.get("message") or response.text
    except (ValueError, AttributeError):
        detail = response.text
    return f"WhatsApp API {response.status_code}: {detail}"[:1000]


def template_parameter(text: str) -> str:
    """Template parameters may not hold new lines, tabs or more than four spaces in a row."""
    return " ".join(text.split())[:MAX_TEMPLATE_PARAMETER] or "-"


def template_body(*, name: str, text: str) -> dict:
    return {
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": settings.WHATSAPP_TEMPLATE_LANGUAGE},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": template_parameter(text)}]}],
        },
    }


class WhatsAppChannel(OutboundChannel):
    name = "whatsapp"

    def is_configured(self) -> bool:
        return bool(settings.WHATSAPP_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID)

    def address_for(self, conversation) -> str:
        return conversation.customer.phone

    def url(self) -> str:
        return f"{settings.WHATSAPP_API_BASE.rstrip('/')}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages"

    def send(self, message: OutboundMessage) -> DeliveryResult:
        from conversations.selectors import whatsapp_window_open

        if not self.is_configured():
            return DeliveryResult.failed(
                "WhatsApp is not configured (WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID).", retryable=False
            )
        digits = message.to.strip().lstrip("+")
        if not digits.isdigit():
            return DeliveryResult.failed(f"Not a phone number: {message.to!r}.", retryable=False)
        body = message.extra.get("whatsapp") or {"type": "text", "text": {"preview_url": False, "body": ""}}
        if body.get("type") == "text" and not body["text"].get("body"):
            body = {"type": "text", "text": {"preview_url": False, "body": message.text[:MAX_TEXT]}}
        if body.get("type") != "template" and not whatsapp_window_open(phone="+" + digits):
            decision = self._outside_window(message, phone="+" + digits)
            if isinstance(decision, DeliveryResult):
                return decision
            body = decision
        return self._post(message, digits=digits, body=body)

    def _outside_window(self, message: OutboundMessage, *, phone: str) -> dict | DeliveryResult:
        """A template body, or what happens instead (email, wait, a final failure)."""
        from conversations.selectors import whatsapp_customer_email

        purpose = message.extra.get("whatsapp_template", FOLLOW_UP)
        name = settings.WHATSAPP_TEMPLATES.get(purpose, "") if purpose else ""
        if name:
            return template_body(name=name, text=message.text)
        email = whatsapp_customer_email(phone=phone)
        if email:
            from .email import EmailChannel

            return EmailChannel().send(
                OutboundMessage(
                    channel="email",
                    to=email,
                    text=message.text,
                    subject=message.subject,
                    conversation_id=message.conversation_id,
                    idempotency_key=message.idempotency_key,
                )
            )
        if message.extra.get("wait_for_window"):
            return DeliveryResult.nothing_to_send(f"{WINDOW_CLOSED}: waiting for the customer's next message.")
        setting = f"WHATSAPP_TEMPLATE_{purpose.upper()}" if purpose else "a template"
        return DeliveryResult.failed(
            f"{WINDOW_CLOSED}, no approved template ({setting}) and no email address for this customer.",
            retryable=False,
        )

    def _post(self, message: OutboundMessage, *, digits: str, body: dict) -> DeliveryResult:
        from conversations.services.whatsapp_status import whatsapp_sent_record

        request = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": digits, **body}
        headers = {"Authorization": f"Bearer {settings.WHATSAPP_TOKEN}"}
        if message.idempotency_key:
            headers["Idempotency-Key"] = message.idempotency_key
        try:
            response = httpx.post(self.url(), json=request, headers=headers, timeout=TIMEOUT)
        except httpx.TimeoutException as exc:
            return DeliveryResult.failed(f"WhatsApp API timed out: {exc!r}", retryable=True)
        except httpx.HTTPError as exc:
            return DeliveryResult.failed(f"WhatsApp API unreachable: {exc!r}", retryable=True)
        if response.status_code >= 500 or response.status_code == 429:
            return DeliveryResult.failed(_error_text(response), retryable=True, status_code=response.status_code)
        if response.status_code >= 400:
            return DeliveryResult.failed(_error_text(response), retryable=False, status_code=response.status_code)
        try:
            messages = response.json().get("messages") or []
            external_id = messages[0].get("id", "") if messages else ""
        except (ValueError, AttributeError):
            external_id = ""
        if external_id:
            whatsapp_sent_record(
                wamid=external_id,
                to="+" + digits,
                body=body,
                conversation_id=message.conversation_id,
                message_id=message.extra.get("message_id", ""),
                delivery_key=message.idempotency_key,
            )
        return DeliveryResult.ok(external_id=external_id, status_code=response.status_code)
