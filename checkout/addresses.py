"""Shipping addresses and contacts as orders keep them, whichever door they came through.

One shape for an address, the ACP `Address` (name, line_one, line_two, city, state,
postal_code, country as ISO 3166-1 alpha-2), so an order's address goes back to an agent
platform as it is. Stripe Checkout's collected details (`line1`, `postal_code`, …), an ACP
session's `fulfillment_details` and the offline provider's form are read into it here. What a
client sends is untrusted: only known keys are kept, as short single-line strings.
"""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

ADDRESS_KEYS = ("name", "line_one", "line_two", "city", "state", "postal_code", "country")
# What the ACP `Address` requires; an address without them is not sent as a fulfilment's destination.
ADDRESS_REQUIRED_ACP = ("name", "line_one", "city", "state", "country", "postal_code")
# What a parcel needs (a state or county is not used everywhere).
ADDRESS_REQUIRED = ("name", "line_one", "city", "postal_code", "country")
_MAX = {"name": 200, "line_one": 200, "line_two": 200, "city": 100, "state": 100, "postal_code": 20, "country": 2}


def _line(value, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit] if isinstance(value, str | int) else ""


def address_clean(raw) -> dict:
    """Known keys only, single-line strings, the country upper-case; empty values left out."""
    if not isinstance(raw, dict):
        return {}
    address = {}
    for key in ADDRESS_KEYS:
        value = _line(raw.get(key), _MAX[key])
        if key == "country":
            value = value.upper()
        if value:
            address[key] = value
    return address


def address_from_stripe(details, *, name: str = "") -> dict:
    """Stripe's `{name, address: {line1, line2, city, state, postal_code, country}}` (a Checkout
    Session's `collected_information.shipping_details`, older `shipping_details`, or `customer_details`)."""
    if not isinstance(details, dict):
        return {}
    raw = details.get("address") if isinstance(details.get("address"), dict) else {}
    return address_clean(
        {
            "name": details.get("name") or name,
            "line_one": raw.get("line1"),
            "line_two": raw.get("line2"),
            "city": raw.get("city"),
            "state": raw.get("state"),
            "postal_code": raw.get("postal_code"),
            "country": raw.get("country"),
        }
    )


def address_is_complete(address: dict, *, required=ADDRESS_REQUIRED) -> bool:
    return all(address.get(key) for key in required)


def address_lines(address: dict) -> list[str]:
    """The address as printed on a label: name, street lines, "city state postal code", country."""
    place = " ".join(v for v in (address.get("city"), address.get("state"), address.get("postal_code")) if v)
    return [v for v in (address.get("name"), address.get("line_one"), address.get("line_two"), place) if v] + (
        [address["country"]] if address.get("country") else []
    )


def contact_clean(raw) -> dict:
    """{name, email, phone} as given, known keys only; an email that is not one is dropped."""
    if not isinstance(raw, dict):
        return {}
    contact = {"name": _line(raw.get("name"), 200), "phone": _line(raw.get("phone"), 32)}
    email = _line(raw.get("email"), 254).lower()
    try:
        validate_email(email)
    except ValidationError:
        email = ""
    contact["email"] = email
    return {key: value for key, value in contact.items() if value}


def phone_e164(raw: str, *, region: str = "") -> str:
    """E.164 (`+15551234567`), read with the address's country when no country code is given.
    ValueError when it is not a possible phone number."""
    text = (raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else (region or "US").upper())
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
