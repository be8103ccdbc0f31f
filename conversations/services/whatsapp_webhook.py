"""The WhatsApp Cloud API webhook's front half: verify, store each item once, acknowledge.

`GET /webhooks/whatsapp` answers Meta's subscription check (`hub.verify_token` must equal
WHATSAPP_VERIFY_TOKEN). Every `POST` must carry `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the
raw body with WHATSAPP_APP_SECRET>`; anything else is refused before the body is read as JSON.
A POST can carry several messages and status callbacks: the whole body is checked first, then
each item is stored as a `WhatsAppEvent` keyed by its WhatsApp id (a message's `wamid`, or
`wamid` + status for a callback), all in one transaction, so a body is stored whole or not at
all and a retried delivery stores nothing new. Each new event goes to Celery once the
transaction commits (`conversations.services.whatsapp_inbound` does the work); the answer is
200 at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction

from conversations.enums import WhatsAppEventKind
from conversations.error_codes import ConversationErrorCode
from conversations.exceptions import WhatsAppWebhookInvalid
from conversations.models import WhatsAppEvent
from core.inbound import inbound_event_store_once

SIGNATURE_PREFIX = "sha256="
MAX_ID = 200


def _refuse(detail: str, code: str, status_code: int = 400) -> WhatsAppWebhookInvalid:
    return WhatsAppWebhookInvalid(detail, code=code, status_code=status_code)


def whatsapp_challenge_answer(*, mode: str, token: str, challenge: str) -> str:
    """Meta's subscription check: the challenge back when the verify token is ours."""
    if not settings.WHATSAPP_VERIFY_TOKEN:
        raise _refuse(
            "WhatsApp webhooks are not set up here (WHATSAPP_VERIFY_TOKEN).",
            ConversationErrorCode.WHATSAPP_NOT_CONFIGURED,
            403,
        )
    if mode != "subscribe" or not hmac.compare_digest(
        token.encode("utf-8", "replace"), settings.WHATSAPP_VERIFY_TOKEN.encode()
    ):
        raise _refuse(
            "hub.mode must be 'subscribe' and hub.verify_token must match.",
            ConversationErrorCode.WHATSAPP_VERIFY_TOKEN_INVALID,
            403,
        )
    if not challenge or len(challenge) > 200 or not challenge.isprintable():
        raise _refuse("hub.challenge is missing or not a short text.", ConversationErrorCode.WHATSAPP_PAYLOAD_INVALID)
    return challenge


def whatsapp_signature_check(*, payload: bytes, signature: str) -> None:
    """`X-Hub-Signature-256` must be the HMAC-SHA256 of the exact body with the app secret."""
    if not settings.WHATSAPP_APP_SECRET:
        raise _refuse(
            "WhatsApp webhooks are not set up here (WHATSAPP_APP_SECRET).",
            ConversationErrorCode.WHATSAPP_NOT_CONFIGURED,
            403,
        )
    if not signature:
        raise _refuse("Missing X-Hub-Signature-256 header.", ConversationErrorCode.WHATSAPP_SIGNATURE_MISSING, 401)
    expected = SIGNATURE_PREFIX + hmac.new(settings.WHATSAPP_APP_SECRET.encode(), payload, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.strip().lower().encode("utf-8", "replace"), expected.encode()):
        raise _refuse(
            "The X-Hub-Signature-256 signature does not match this body.",
            ConversationErrorCode.WHATSAPP_SIGNATURE_INVALID,
            401,
        )


@dataclass(frozen=True)
class _Item:
    key: str
    kind: str
    wamid: str
    phone: str
    payload: dict
    occurred_at: datetime | None


def _text(value, name: str, *, limit: int = MAX_ID) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise _refuse(f"`{name}` must be a non-empty string.", ConversationErrorCode.WHATSAPP_PAYLOAD_INVALID)
    return value


def _phone(value, name: str) -> str:
    """A WhatsApp id (`from`, `recipient_id`) is the number's digits with its country code."""
    digits = _text(value, name, limit=20).lstrip("+")
    if not digits.isdigit() or not 6 <= len(digits) <= 15:
        raise _refuse(f"`{name}` must be a phone number's digits.", ConversationErrorCode.WHATSAPP_PAYLOAD_INVALID)
    return "+" + digits


def _timestamp(value) -> datetime | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    if not 0 < seconds < 2**33:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def _object(value, name: str) -> dict:
    if not isinstance(value, dict):
        raise _refuse(f"`{name}` must be an object.", ConversationErrorCode.WHATSAPP_PAYLOAD_INVALID)
    return value


def _list(value, name: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _refuse(f"`{name}` must be a list.", ConversationErrorCode.WHATSAPP_PAYLOAD_INVALID)
    return value


def whatsapp_webhook_items(body: dict) -> list[_Item]:
    """The messages and status callbacks of a webhook body, checked; other fields are skipped."""
    _object(body, "body")
    if body.get("object") != "whatsapp_business_account":
        raise _refuse("`object` must be 'whatsapp_business_account'.", ConversationErrorCode.WHATSAPP_PAYLOAD_INVALID)
    items: list[_Item] = []
    for entry in _list(body.get("entry"), "entry"):
        for change in _list(_object(entry, "entry[]").get("changes"), "entry[].changes"):
            change = _object(change, "changes[]")
            if change.get("field") != "messages":
                continue  # account updates, template reviews, …: nothing to do here
            value = _object(change.get("value"), "changes[].value")
            names = {}
            for contact in _list(value.get("contacts"), "value.contacts"):
                contact = _object(contact, "contacts[]")
                profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
                if isinstance(contact.get("wa_id"), str) and isinstance(profile.get("name"), str):
                    names[contact["wa_id"]] = profile["name"][:200]
            for message in _list(value.get("messages"), "value.messages"):
                message = _object(message, "messages[]")
                wamid = _text(message.get("id"), "messages[].id")
                phone = _phone(message.get("from"), "messages[].from")
                _text(message.get("type"), "messages[].type", limit=40)
                items.append(
                    _Item(
                        key=f"message:{wamid}",
                        kind=WhatsAppEventKind.MESSAGE,
                        wamid=wamid,
                        phone=phone,
                        payload={"message": message, "profile_name": names.get(message["from"], "")},
                        occurred_at=_timestamp(message.get("timestamp")),
                    )
                )
            for status in _list(value.get("statuses"), "value.statuses"):
                status = _object(status, "statuses[]")
                wamid = _text(status.get("id"), "statuses[].id")
                state = _text(status.get("status"), "statuses[].status", limit=20)
                phone = _phone(status.get("recipient_id"), "statuses[].recipient_id")
                items.append(
                    _Item(
                        key=f"status:{wamid}:{state}",
                        kind=WhatsAppEventKind.STATUS,
                        wamid=wamid,
                        phone=phone,
                        payload={"status": status},
                        occurred_at=_timestamp(status.get("timestamp")),
                    )
                )
    return items


@dataclass(frozen=True)
class WebhookReceipt:
    stored: int
    duplicates: int


def whatsapp_webhook_receive(*, payload: bytes, signature: str) -> WebhookReceipt:
    """Verify, check the whole body, store each item once; hand the new ones to Celery on commit."""
    whatsapp_signature_check(payload=payload, signature=signature)
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _refuse("The body is not JSON.", ConversationErrorCode.WHATSAPP_PAYLOAD_INVALID) from exc
    items = whatsapp_webhook_items(body)
    from conversations.tasks import whatsapp_event_process_task

    stored = duplicates = 0
    with transaction.atomic():
        for item in items:
            event = inbound_event_store_once(
                WhatsAppEvent,
                process_task=whatsapp_event_process_task,
                key=item.key[:255],
                kind=item.kind,
                wamid=item.wamid,
                phone=item.phone,
                payload=item.payload,
                occurred_at=item.occurred_at,
            )
            if event is None:
                duplicates += 1  # Meta retried, or sent the same callback twice
            else:
                stored += 1
    return WebhookReceipt(stored=stored, duplicates=duplicates)
