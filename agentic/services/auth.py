"""Who is calling: agent platform API keys (hashed at rest) and request signatures.

Keys: `acp_` + 43 random URL-safe characters, shown once when issued; only the SHA-256 is
stored (a key is random enough that a fast hash is the right one, as for API tokens).

Signatures, when the platform has a `signing_secret`: `Signature` is the base64url
HMAC-SHA256, under that secret, of `<Timestamp>.<body>` where `<Timestamp>` is the
`Timestamp` header exactly as sent (RFC 3339) and `<body>` the request body: the raw bytes,
or their canonical JSON (keys sorted, no spaces), either is accepted; GET signs an empty
body. The Timestamp must be within `ACP_SIGNATURE_TOLERANCE_SECONDS` of our clock.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agentic.error_codes import AcpErrorCode
from agentic.exceptions import AcpError
from agentic.models import AgentApiKey, AgentPlatform

KEY_PREFIX = "acp_"


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def api_key_issue(*, platform: AgentPlatform, label: str = "") -> tuple[AgentApiKey, str]:
    """A new key for `platform`: the stored row and the key itself (never retrievable again)."""
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    key = AgentApiKey.objects.create(platform=platform, label=label[:120], prefix=raw_key[:12], key_hash=_hash(raw_key))
    return key, raw_key


def _unauthorized(message: str, code: str = AcpErrorCode.UNAUTHORIZED) -> AcpError:
    return AcpError(message, code=code, status=401, headers={"WWW-Authenticate": 'Bearer realm="acp"'})


def platform_authenticate(*, authorization: str) -> AgentPlatform:
    """The active platform whose active key is in `Authorization: Bearer <key>`; 401 otherwise."""
    scheme, _, raw_key = (authorization or "").strip().partition(" ")
    raw_key = raw_key.strip()
    if scheme.lower() != "bearer" or not raw_key:
        raise _unauthorized("Authorization: Bearer <API key> is required.")
    if len(raw_key) > 200:
        raise _unauthorized("That API key is not valid.", AcpErrorCode.INVALID_API_KEY)
    key = (
        AgentApiKey.objects.select_related("platform")
        .filter(key_hash=_hash(raw_key), is_active=True, platform__is_active=True)
        .first()
    )
    if key is None:
        raise _unauthorized("That API key is not valid.", AcpErrorCode.INVALID_API_KEY)
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        AgentApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key.platform


def _b64decode(value: str) -> bytes | None:
    value = value.strip()
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        try:
            return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        except (binascii.Error, ValueError):
            return None


def signature_for(*, secret: str, timestamp: str, body: bytes) -> str:
    """What a platform sends as `Signature` (base64url, no padding)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _canonical_body(body: bytes) -> bytes | None:
    if not body:
        return b""
    try:
        parsed = json.loads(body)
        return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # not JSON, too deep, or a lone surrogate that has no UTF-8
        return None


def request_signature_verify(*, platform: AgentPlatform, body: bytes, signature: str, timestamp: str) -> None:
    """Nothing to check without a signing secret; with one, a missing, stale or wrong signature is a 401."""
    if not platform.signing_secret:
        return
    if not signature or not timestamp:
        raise _unauthorized("Signature and Timestamp headers are required.", AcpErrorCode.INVALID_SIGNATURE)
    try:
        moment = datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _unauthorized("Timestamp must be an RFC 3339 date-time.", AcpErrorCode.INVALID_SIGNATURE) from None
    if moment.tzinfo is None:
        raise _unauthorized("Timestamp must carry a time zone.", AcpErrorCode.INVALID_SIGNATURE)
    if abs((timezone.now() - moment).total_seconds()) > settings.ACP_SIGNATURE_TOLERANCE_SECONDS:
        raise _unauthorized("Timestamp outside the allowed window.", AcpErrorCode.INVALID_SIGNATURE)
    sent = _b64decode(signature)
    if sent is None:
        raise _unauthorized("Signature must be base64url.", AcpErrorCode.INVALID_SIGNATURE)
    candidates = [body]
    canonical = _canonical_body(body)
    if canonical is not None and canonical != body:
        candidates.append(canonical)
    for candidate in candidates:
        expected = hmac.new(
            platform.signing_secret.encode(), timestamp.encode() + b"." + candidate, hashlib.sha256
        ).digest()
        if hmac.compare_digest(expected, sent):
            return
    raise _unauthorized("Signature verification failed.", AcpErrorCode.INVALID_SIGNATURE)
