"""Contact details as stored: lower-cased email, E.164 phone, or the conversation id (web)."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from alerts.enums import AlertChannel
from alerts.error_codes import AlertErrorCode
from alerts.exceptions import AlertError, ContactInvalid


def _invalid(detail: str) -> ContactInvalid:
    return ContactInvalid(detail, fields={"contact": [detail]})


def email_normalise(raw: str) -> str:
    email = (raw or "").strip().lower()
    if email.startswith("mailto:"):
        email = email[len("mailto:") :]
    if not email:
        raise _invalid("Please enter an email address.")
    if len(email) > 254 or any(ch.isspace() for ch in email):
        raise _invalid("Please enter a valid email address.")
    try:
        validate_email(email)
    except ValidationError as exc:
        raise _invalid("Please enter a valid email address.") from exc
    return email


def phone_normalise(raw: str, *, region: str | None = None) -> str:
    """E.164 (`+15551234567`). Numbers without a country code are read as ALERTS_DEFAULT_PHONE_REGION's."""
    text = (raw or "").strip()
    if not text:
        raise _invalid("Please enter a phone number.")
    if len(text) > 40:
        raise _invalid("Please enter a valid phone number.")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else (region or _default_region()))
    except phonenumbers.NumberParseException as exc:
        raise _invalid("Please enter a valid phone number, with its country code (e.g. +1 555 123 4567).") from exc
    if not phonenumbers.is_valid_number(number):
        raise _invalid("That phone number does not exist; please check it and its country code.")
    kind = phonenumbers.number_type(number)
    if kind in (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.SHARED_COST,
        phonenumbers.PhoneNumberType.PAGER,
    ):
        raise _invalid("That number cannot receive text messages; please give a mobile number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _default_region() -> str:
    return (getattr(settings, "ALERTS_DEFAULT_PHONE_REGION", "US") or "US").upper()


def contact_normalise(*, channel: str, contact: str, conversation_id: str = "") -> str:
    if channel == AlertChannel.EMAIL:
        return email_normalise(contact)
    if channel in (AlertChannel.SMS, AlertChannel.WHATSAPP):
        return phone_normalise(contact)
    if channel == AlertChannel.WEB:
        if not conversation_id:
            raise AlertError(
                "Web alerts go to the open chat: send the conversation's token (from the chat button, "
                "or conversation_id with its Bearer token).",
                code=AlertErrorCode.CONVERSATION_REQUIRED,
            )
        return conversation_id
    raise AlertError(
        f"Unknown channel {channel!r}.", code=AlertErrorCode.CHANNEL_INVALID, fields={"channel": ["Unknown channel."]}
    )
