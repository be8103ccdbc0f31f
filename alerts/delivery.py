"""How an alert message leaves the shop. The one module of the alerts app that talks to channels.

- email: Django's email backend (EMAIL_URL), multipart text + HTML, with `List-Unsubscribe` and
  `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058) and a stable `Message-ID`
  per notice, so a receiving system can recognise a repeat;
- WhatsApp / SMS: `core.outbound.outbound_send` (the adapter operator replies
  use), with the notice's idempotency key;
- web: nothing is sent from here: the stored conversation message and its `alert.notified` push
  are written by the notice service.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template import loader

from alerts.enums import AlertChannel
from core.outbound import DeliveryResult, OutboundMessage, outbound_send

logger = logging.getLogger(__name__)


# Where the subscriber's own unsubscribe link goes in a shared rendering (see AlertMessage).
UNSUBSCRIBE_PLACEHOLDER = "https://parley.invalid/u"


@dataclass(frozen=True)
class AlertMessage:
    """One message to one contact. `text` / `html` may hold UNSUBSCRIBE_PLACEHOLDER where the
    subscriber's `unsubscribe_url` belongs, so a batch renders each part's message only once."""

    channel: str
    to: str
    subject: str
    text: str
    html: str = ""
    unsubscribe_url: str = ""
    idempotency_key: str = ""
    conversation_id: str = ""

    def personal(self, body: str) -> str:
        return body.replace(UNSUBSCRIBE_PLACEHOLDER, self.unsubscribe_url) if self.unsubscribe_url else body


class _MimeTemplate:
    """The MIME bytes of a batch's shared email, built once by Django with short placeholders for
    what differs per subscriber (To, Message-ID, Date, List-Unsubscribe, the links); each message
    is then a few byte replacements instead of a fresh MIME build (the fan-out's hot path)."""

    TO = "to.ph@parley.invalid"
    KEY = "key-ph"
    DATE = "date-ph"

    def __init__(self, *, subject: str, text: str, html: str, from_email: str, domain: str):
        email = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=from_email,
            to=[self.TO],
            headers={
                "Date": self.DATE,
                "Message-ID": f"<{self.KEY}@{domain}>",
                "List-Unsubscribe": f"<{UNSUBSCRIBE_PLACEHOLDER}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "X-Parley-Notice": self.KEY,
            },
        )
        if html:
            email.attach_alternative(html, "text/html")
        self.data = email.message().as_bytes()
        # Usable only if every placeholder survived encoding verbatim (no folding, no QP).
        self.usable = all(
            token.encode() in self.data for token in (self.TO, self.KEY, self.DATE, UNSUBSCRIBE_PLACEHOLDER)
        )

    def render(self, *, to: str, key: str, unsubscribe_url: str) -> bytes:
        return (
            self.data.replace(self.TO.encode(), to.encode())
            .replace(self.KEY.encode(), key.encode())
            .replace(self.DATE.encode(), formatdate(localtime=settings.EMAIL_USE_LOCALTIME).encode())
            .replace(UNSUBSCRIBE_PLACEHOLDER.encode(), unsubscribe_url.encode())
        )


class _Prebuilt:
    """What Django's email backends read from `EmailMessage.message()`: the bytes, as they are."""

    def __init__(self, data: bytes):
        self._data = data

    def as_bytes(self, unixfrom=False, linesep="\n"):
        return self._data if linesep == "\n" else self._data.replace(b"\n", linesep.encode())

    def as_string(self, unixfrom=False, linesep="\n"):
        return self.as_bytes(linesep=linesep).decode()

    def get_charset(self):
        return None


class _PrebuiltEmail(EmailMultiAlternatives):
    """An EmailMultiAlternatives (subject, body, alternatives, headers all set, as tests and the
    locmem backend see them) whose MIME comes from the batch's template."""

    def __init__(self, *args, prebuilt: bytes, **kwargs):
        super().__init__(*args, **kwargs)
        self._prebuilt = prebuilt

    def message(self):
        return _Prebuilt(self._prebuilt)


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
        self._templates: dict[tuple, _MimeTemplate] = {}

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
            return outbound_send(
                message=OutboundMessage(
                    channel=message.channel,
                    to=message.to,
                    text=message.personal(message.text),
                    subject=message.subject,
                    conversation_id=message.conversation_id,
                    idempotency_key=message.idempotency_key,
                    # Outside WhatsApp's 24-hour window: the approved back-in-stock template.
                    extra={"whatsapp_template": "back_in_stock"},
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
        if key:
            headers["X-Parley-Notice"] = key
        text, html = message.personal(message.text), message.personal(message.html)
        prebuilt = self._prebuilt(message, key=key, domain=domain)
        options = {
            "subject": message.subject,
            "body": text,
            "from_email": settings.DEFAULT_FROM_EMAIL,
            "to": [message.to],
            "headers": headers,
            "connection": self._email_connection(),
        }
        email = _PrebuiltEmail(prebuilt=prebuilt, **options) if prebuilt else EmailMultiAlternatives(**options)
        if html:
            email.attach_alternative(html, "text/html")
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

    def _prebuilt(self, message: AlertMessage, *, key: str, domain: str) -> bytes | None:
        """The message's MIME from the batch's shared template, or None (then Django builds it)."""
        values = (message.to, key, message.unsubscribe_url)
        if not all(values) or not all(value.isascii() and "\n" not in value for value in values):
            return None
        template_key = (message.subject, message.text, message.html)
        template = self._templates.get(template_key)
        if template is None:
            template = _MimeTemplate(
                subject=message.subject,
                text=message.text,
                html=message.html,
                from_email=settings.DEFAULT_FROM_EMAIL,
                domain=domain,
            )
            self._templates[template_key] = template
        if not template.usable:
            return None
        return template.render(to=message.to, key=key, unsubscribe_url=message.unsubscribe_url)

    def _email_connection(self):
        if self._connection is None:
            self._connection = get_connection(fail_silently=False)
            self._connection.open()
        return self._connection
