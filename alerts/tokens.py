"""Signed links: double opt-in confirmation and one-click unsubscribe (django.core.signing, with a max age)."""

from django.conf import settings
from django.core import signing

from alerts.error_codes import AlertErrorCode
from alerts.exceptions import AlertTokenInvalid

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"
_SALT = "parley.alerts.{purpose}"


def _max_age(purpose: str) -> int:
    if purpose == CONFIRM:
        return settings.ALERTS_CONFIRM_MAX_AGE_SECONDS
    return settings.ALERTS_UNSUBSCRIBE_MAX_AGE_SECONDS


def subscription_token_make(*, subscription_id: str, purpose: str) -> str:
    return signing.dumps(subscription_id, salt=_SALT.format(purpose=purpose))


def subscription_token_read(*, token: str, purpose: str) -> str:
    """The subscription id the token was made for; refused when forged, for another purpose, or too old."""
    try:
        value = signing.loads(token, salt=_SALT.format(purpose=purpose), max_age=_max_age(purpose))
    except signing.SignatureExpired as exc:
        raise AlertTokenInvalid("This link has expired.", code=AlertErrorCode.TOKEN_EXPIRED) from exc
    except signing.BadSignature as exc:
        raise AlertTokenInvalid("This link is not valid.", code=AlertErrorCode.TOKEN_INVALID) from exc
    if not isinstance(value, str):
        raise AlertTokenInvalid("This link is not valid.", code=AlertErrorCode.TOKEN_INVALID)
    return value


def public_url(path: str) -> str:
    return settings.PARLEY_PUBLIC_URL.rstrip("/") + path


def confirm_url(subscription_id: str) -> str:
    return public_url(f"/alerts/confirm/{subscription_token_make(subscription_id=subscription_id, purpose=CONFIRM)}")


def unsubscribe_url(subscription_id: str) -> str:
    token = subscription_token_make(subscription_id=subscription_id, purpose=UNSUBSCRIBE)
    return public_url(f"/alerts/unsubscribe/{token}")
