"""How an alert message leaves the shop. The one module of the alerts app that talks to channels.

- email: Django's email backend (EMAIL_URL), multipart text + HTML, with `List-Unsubscribe` and
  `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058) and a stable `Message-ID`
  per notice, so a receiving system can recognise a repeat;
- WhatsApp / SMS: `conversations.outbound.registry.outbound_send` (the adapter operator replies
  use), with the notice's idempotency key;
- web: nothing is sent from here: the stored conversation message and its `alert.notified` push
  are written by the notice service.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template import loader

from alerts.enums import AlertChannel
from conversations.outbound.base import DeliveryResult, OutboundMessage, delay_for_tests

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertMessage:
    channel: str
    to: str
    subject: str
    text: str
    html: str = ""
    unsubscribe_url: str = ""
    idempotency_key: str = ""
    conversation_id: str = ""


def render(template_base: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) from templates/alerts/email/<base>_{subject.txt,.txt,.html}."""
    subject = loader.render_to_string(f"alerts/email/{template_base}_subject.txt", context)
    text = loader.render_to_string(f"alerts/email/{template_base}.txt", context)
    html = loader.render_to_string(f"alerts/email/{template_base}.html", context)
    return " ".join(subject.split())[:200], text.strip() + "\n", html


class Sender:
    """Sends a batch's messages; email shares one backend connection for the whole batch."""

    def __init__(self):
        self._connection = None

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # closing must not hide what happened in the batch
                logger.warning("closing the email connection failed", exc_info=True)
            self._connection = None

    def send(self, message: AlertMessage) -> DeliveryResult:
        if message.channel == AlertChannel.EMAIL:
            return self._email(message)
        if message.channel in (AlertChannel.WHATSAPP, AlertChannel.SMS):
            from conversations.outbound.registry import outbound_send

            return outbound_send(
                message=OutboundMessage(
                    channel=message.channel,
                    to=message.to,
                    text=message.text,
                    subject=message.subject,
                    conversation_id=message.conversation_id,
                    idempotency_key=message.idempotency_key,
                )
            )
        if message.channel == AlertChannel.WEB:
            if not message.conversation_id:
                return DeliveryResult.failed("The conversation of this web alert is gone.", retryable=False)
            return DeliveryResult.ok(external_id=message.conversation_id)
        return DeliveryResult.failed(f"Unknown channel {message.channel!r}.", retryable=False)

    def _email(self, message: AlertMessage) -> DeliveryResult:
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "parley.local"
        # Stable per notice: a re-send after a crash carries the same Message-ID as the first try.
        key = message.idempotency_key
        headers = {"Message-ID": f"<{key}@{domain}>" if key else make_msgid(domain=domain)}
        if message.unsubscribe_url:
            headers["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        if message.idempotency_key:
            headers["X-Parley-Notice"] = message.idempotency_key
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers=headers,
            connection=self._email_connection(),
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        delay_for_tests()
        try:
            sent = email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            return DeliveryResult.failed(f"Recipient refused: {exc}", retryable=False)
        except (OSError, smtplib.SMTPException, TimeoutError) as exc:
            self._connection = None  # a broken connection is not reused
            return DeliveryResult.failed(f"Email backend error: {exc!r}", retryable=True)
        if not sent:
            return DeliveryResult.failed("The email backend sent nothing.", retryable=True)
        return DeliveryResult.ok(external_id=headers["Message-ID"])

    def _email_connection(self):
        if self._connection is None:
            self._connection = get_connection(fail_silently=False)
            self._connection.open()
        return self._connection
