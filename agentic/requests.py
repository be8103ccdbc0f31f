"""Reading ACP request bodies: the spec's request schemas, refusals with a JSONPath `param`.

Unknown top-level fields are ignored (the spec: servers SHOULD ignore unknown fields for
forward compatibility; its own examples send `order_notes`). Inside the objects we use,
types and required fields are checked as the schemas say. `null` clears a field on update;
an absent field leaves it alone (RFC §6.2).
"""

import re

from django.conf import settings

from agentic.error_codes import AcpErrorCode
from agentic.exceptions import AcpError
from core.jsonsafe import text_is_clean

ABSENT = object()
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_ITEMS = 100
MAX_CODES = 10


def _fail(message: str, param: str, code: str = AcpErrorCode.INVALID) -> AcpError:
    return AcpError(message, code=code, param=param)


def _object(value, path: str, *, required: bool = False):
    if value is ABSENT:
        if required:
            raise _fail(f"{path[2:] or 'The body'} is required.", path, AcpErrorCode.MISSING)
        return ABSENT
    if not isinstance(value, dict):
        raise _fail(f"{path} must be an object.", path)
    return value


def _string(value, path: str, *, required: bool = False, max_length: int = 500, allow_empty: bool = True):
    if value is ABSENT or (value is None and not required):
        if required:
            raise _fail(f"{path} is required.", path, AcpErrorCode.MISSING)
        return None if value is None else ABSENT
    if not isinstance(value, str):
        raise _fail(f"{path} must be a string.", path)
    if len(value) > max_length:
        raise _fail(f"{path} is longer than {max_length} characters.", path)
    if not allow_empty and not value.strip():
        raise _fail(f"{path} must not be empty.", path, AcpErrorCode.MISSING)
    return value


def _email(value, path: str, *, required: bool = False):
    value = _string(value, path, required=required, max_length=254)
    if isinstance(value, str) and not _EMAIL.match(value):
        raise _fail(f"{value!r} is not an email address.", path, AcpErrorCode.INVALID_EMAIL)
    return value


def address(value, path: str) -> dict:
    value = _object(value, path, required=True)
    out = {}
    for name in ("name", "line_one", "city", "state", "country", "postal_code"):
        out[name] = _string(value.get(name, ABSENT), f"{path}.{name}", required=True, max_length=200)
    line_two = _string(value.get("line_two", ABSENT), f"{path}.line_two", max_length=200)
    if isinstance(line_two, str):
        out["line_two"] = line_two
    unknown = set(value) - set(out) - {"line_two"}
    if unknown:
        raise _fail(f"Unknown field {sorted(unknown)[0]!r} in an address.", member(path, sorted(unknown)[0]))
    return out


def fulfillment_details(value, path: str = "$.fulfillment_details"):
    if value is None:
        return None
    value = _object(value, path, required=True)
    out = {}
    for name in ("name", "phone_number"):
        field_value = _string(value.get(name, ABSENT), f"{path}.{name}", max_length=200)
        if isinstance(field_value, str):
            out[name] = field_value
    email = _email(value.get("email", ABSENT), f"{path}.email")
    if isinstance(email, str):
        out["email"] = email
    if value.get("address") is not None and "address" in value:
        out["address"] = address(value["address"], f"{path}.address")
    return out


BUYER_STRINGS = ("first_name", "last_name", "full_name", "phone_number", "customer_id")
BUYER_ENUMS = {
    "account_type": ("guest", "registered", "business"),
    "authentication_status": ("authenticated", "guest", "requires_signin"),
}


def buyer(value, path: str = "$.buyer"):
    """The buyer's contact details (kept: the spec's string fields; company, loyalty, … are not used)."""
    if value is None:
        return None
    value = _object(value, path, required=True)
    out = {"email": _email(value.get("email", ABSENT), f"{path}.email", required=True)}
    for name in BUYER_STRINGS:
        field_value = _string(value.get(name, ABSENT), f"{path}.{name}", max_length=200)
        if isinstance(field_value, str):
            out[name] = field_value
    for name, allowed in BUYER_ENUMS.items():
        field_value = value.get(name)
        if field_value is not None:
            if field_value not in allowed:
                raise _fail(f"{name} must be one of {', '.join(allowed)}.", f"{path}.{name}")
            out[name] = field_value
    return out


_SHORTHAND = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ESCAPES = {"\\": "\\\\", "'": "\\'", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def member(path: str, name: str) -> str:
    """`path` + the member `name` as RFC 9535 JSONPath: `$.a.b` for a plain name, `$.a['x y']` for
    any other (a key the agent chose may hold anything), so `param` always parses."""
    if _SHORTHAND.match(name):
        return f"{path}.{name}"
    quoted = "".join(_ESCAPES.get(c, f"\\u{ord(c):04x}" if ord(c) < 0x20 else c) for c in name)
    return f"{path}['{quoted}']"


def text_checked(value, path: str = "$") -> None:
    """Refuse, with the JSONPath of the first offender, a document nested deeper than
    PARLEY_JSON_MAX_DEPTH (the idempotency fingerprint and every reader walk it) and any key or
    string holding a NUL or a lone surrogate (no database stores either in text, and neither can
    be written out as UTF-8 again). Walked without recursion: the body is the agent's."""
    limit = settings.PARLEY_JSON_MAX_DEPTH
    stack = [(value, path, 1)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            if not text_is_clean(item):
                raise _fail("Strings must not contain NUL characters or unpaired surrogates.", where)
        elif isinstance(item, dict | list):
            if depth > limit:
                raise _fail(f"JSON may be nested at most {limit} levels deep.", where)
            if isinstance(item, dict):
                for key in item:
                    if not text_is_clean(key):
                        raise _fail("Keys must not contain NUL characters or unpaired surrogates.", where)
                # Reversed onto the stack, so the first offender in the document is the one named.
                stack.extend((item[key], member(where, key), depth + 1) for key in reversed(item))
            else:
                stack.extend((item[index], f"{where}[{index}]", depth + 1) for index in reversed(range(len(item))))


def line_items(value, path: str = "$.line_items") -> list[dict]:
    if not isinstance(value, list):
        raise _fail("line_items must be an array of items.", path)
    if not value:
        raise _fail("Name at least one item.", path, AcpErrorCode.MISSING)
    if len(value) > MAX_ITEMS:
        raise _fail(f"At most {MAX_ITEMS} items.", path)
    items = []
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        item = _object(item, item_path, required=True)
        item_id = _string(item.get("id", ABSENT), f"{item_path}.id", required=True, max_length=64, allow_empty=False)
        quantity = item.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int | float) or quantity != int(quantity):
            raise _fail("quantity must be a whole number.", f"{item_path}.quantity")
        if quantity < 1:
            raise _fail("quantity must be at least 1.", f"{item_path}.quantity")
        if quantity > 10_000:
            raise _fail("quantity is too large.", f"{item_path}.quantity", AcpErrorCode.QUANTITY_EXCEEDED)
        items.append({"id": item_id.strip(), "quantity": int(quantity)})
    return items


FULFILLMENT_TYPES = ("shipping", "pickup", "local_delivery", "digital")  # the spec's SelectedFulfillmentOption.type


def selected_fulfillment_options(value, path: str = "$.selected_fulfillment_options"):
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail("selected_fulfillment_options must be an array.", path)
    out = []
    for index, option in enumerate(value[:10]):
        option_path = f"{path}[{index}]"
        option = _object(option, option_path, required=True)
        kind = option.get("type", "shipping")
        if kind not in FULFILLMENT_TYPES:
            raise _fail(f"type is one of {', '.join(FULFILLMENT_TYPES)}.", f"{option_path}.type")
        option_id = _string(option.get("option_id", ABSENT), f"{option_path}.option_id", required=True, max_length=64)
        # Kept as asked: a type the shop does not offer is a message on the session (cart.py), not a 400.
        out.append({"type": kind, "option_id": option_id})
    return out


def discount_codes(body: dict) -> list[str] | object:
    """`discounts.codes` (or the deprecated `coupons`); ABSENT when neither is sent."""
    codes = ABSENT
    if "coupons" in body:
        codes = body["coupons"] if body["coupons"] is not None else []
        path = "$.coupons"
    if "discounts" in body:
        discounts = body["discounts"]
        if discounts is None:
            codes, path = [], "$.discounts"
        else:
            discounts = _object(discounts, "$.discounts", required=True)
            codes, path = discounts.get("codes", []), "$.discounts.codes"
            codes = [] if codes is None else codes
    if codes is ABSENT:
        return ABSENT
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise _fail("Discount codes are an array of strings.", path)
    if len(codes) > MAX_CODES:
        raise _fail(f"At most {MAX_CODES} discount codes.", path)
    seen, out = set(), []
    for code in codes:
        code = code.strip()[:40]
        if code and code.upper() not in seen:
            seen.add(code.upper())
            out.append(code)
    return out


def plain_object(value, path: str) -> dict:
    if value is ABSENT or value is None:
        return {}
    return _object(value, path, required=True)


def payment_data(value, path: str = "$.payment_data") -> dict:
    value = _object(value, path, required=True)
    if "handler_id" not in value and "purchase_order_number" in value:
        raise AcpError(
            "Purchase orders are not accepted; pay with a delegated card token.",
            code=AcpErrorCode.UNSUPPORTED,
            param=f"{path}.purchase_order_number",
        )
    handler_id = _string(value.get("handler_id", ABSENT), f"{path}.handler_id", required=True, max_length=100)
    instrument = _object(value.get("instrument", ABSENT), f"{path}.instrument", required=True)
    kind = _string(instrument.get("type", ABSENT), f"{path}.instrument.type", required=True, max_length=100)
    credential = _object(instrument.get("credential", ABSENT), f"{path}.instrument.credential", required=True)
    credential_type = _string(
        credential.get("type", ABSENT), f"{path}.instrument.credential.type", required=True, max_length=100
    )
    token = _string(
        credential.get("token", ABSENT),
        f"{path}.instrument.credential.token",
        required=True,
        max_length=500,
        allow_empty=False,
    )
    billing = value.get("billing_address", ABSENT)
    out = {"handler_id": handler_id, "instrument_type": kind, "credential_type": credential_type, "token": token}
    if billing is not ABSENT and billing is not None:
        out["billing_address"] = address(billing, f"{path}.billing_address")
    return out


AUTH_OUTCOMES = {
    "abandoned",
    "attempt_acknowledged",
    "authenticated",
    "canceled",
    "denied",
    "informational",
    "internal_error",
    "not_supported",
    "processing_error",
    "rejected",
}


def authentication_result(value, path: str = "$.authentication_result"):
    if value is ABSENT or value is None:
        return None
    value = _object(value, path, required=True)
    outcome = _string(value.get("outcome", ABSENT), f"{path}.outcome", required=True, max_length=40)
    if outcome not in AUTH_OUTCOMES:
        raise _fail(f"Unknown authentication outcome {outcome!r}.", f"{path}.outcome")
    details = value.get("outcome_details")
    if details is not None and not isinstance(details, dict):
        raise _fail("outcome_details must be an object.", f"{path}.outcome_details")
    if outcome in ("authenticated", "informational", "attempt_acknowledged") and not details:
        raise _fail("outcome_details is required for this outcome.", f"{path}.outcome_details", AcpErrorCode.MISSING)
    return {"outcome": outcome, "outcome_details": details or {}}
