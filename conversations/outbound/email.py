"""Email through Django's configured backend (EMAIL_URL; the console by default)."""

import logging
import smtplib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email

from core.outbound import DeliveryResult, OutboundChannel, OutboundMessage

logger = logging.getLogger(__name__)


class EmailChannel(OutboundChannel):
    name = "email"

    def is_configured(self) -> bool:
        return bool(getattr(settings, "EMAIL_BACKEND", ""))

    def address_for(self, conversation) -> str:
        return conversation.customer.email

    def send(self, message: OutboundMessage) -> DeliveryResult:
        try:
            validate_email(message.to)
        except ValidationError:
            return DeliveryResult.failed(f"Not an email address: {message.to!r}.", retryable=False)
        subject = message.subject or f"A message from {settings.PARLEY_SHOP_NAME}"
        headers = {}
        if message.idempotency_key:
            # Stable per message, so a repeat is recognisable by the receiving side.
            headers["Message-ID"] = f"<{message.idempotency_key}@parley>"
        email = EmailMessage(
            subject=subject.replace("\n", " ")[:200],
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers=headers,
        )
        try:
            sent = email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            return DeliveryResult.failed(f"Recipient refused: {exc}", retryable=False)
        except (OSError, smtplib.SMTPException, TimeoutError) as exc:
            return DeliveryResult.failed(f"Email backend error: {exc!r}", retryable=True)
        if not sent:
            return DeliveryResult.failed("The email backend sent nothing.", retryable=True)
        return DeliveryResult.ok(external_id=headers.get("Message-ID", ""))
