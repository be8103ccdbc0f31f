"""Webhook bodies as Meta's WhatsApp Cloud API sends them, signed with the test app secret."""

import hashlib
import hmac
import itertools
import json
import time

APP_SECRET = "wa-app-secret"
VERIFY_TOKEN = "wa-verify-token"
PHONE_NUMBER_ID = "1234567890"

_ids = itertools.count(1)


def wamid() -> str:
    return f"wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQTRBNjU5OUFFRTAzODEw{next(_ids):06d}"


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def envelope(*, messages=(), statuses=(), wa_id="15551234567", name="Ann") -> dict:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000000", "phone_number_id": PHONE_NUMBER_ID},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA_ID", "changes": [{"value": value, "field": "messages"}]}],
    }


def text(body: str, *, wa_id="15551234567", id=None, ts=None) -> dict:
    return {
        "from": wa_id,
        "id": id or wamid(),
        "timestamp": str(ts or int(time.time())),
        "type": "text",
        "text": {"body": body},
    }


def tap(action_id: str, title: str, *, wa_id="15551234567", id=None) -> dict:
    return {
        "from": wa_id,
        "id": id or wamid(),
        "timestamp": str(int(time.time())),
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": action_id, "title": title}},
    }


def status(wamid_: str, state: str, *, wa_id="15551234567", ts=None, errors=None) -> dict:
    out = {"id": wamid_, "status": state, "timestamp": str(ts or int(time.time())), "recipient_id": wa_id}
    if errors:
        out["errors"] = errors
    return out


def post(client, body: dict, *, signature: str | None = None):
    raw = json.dumps(body).encode()
    return client.post(
        "/webhooks/whatsapp",
        data=raw,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=sign(raw) if signature is None else signature,
    )
