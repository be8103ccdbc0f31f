"""Every error code the agentic front doors answer with: the ACP `Error.code` and the `code` of a
session's error and warning messages (the protocol names most of them: MessageError codes,
DiscountErrorCode, the RFC's idempotency codes), and the ChatGPT actions' errors (which are
Parley's usual errors with the codes of the apps the actions call). One list, one name each;
agents branch on these values, so a value never changes meaning. (Saleor keeps one
`error_codes.py` per app the same way.)

A refusal from checkout that has no ACP name keeps checkout's code (CheckoutErrorCode)."""

from enum import StrEnum


class AcpErrorCode(StrEnum):
    # the request itself
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    IDEMPOTENCY_IN_FLIGHT = "idempotency_in_flight"
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
    IDEMPOTENCY_KEY_REQUIRED = "idempotency_key_required"
    INTERNAL_ERROR = "internal_error"
    INVALID = "invalid"
    INVALID_API_KEY = "invalid_api_key"
    INVALID_EMAIL = "invalid_email"
    INVALID_JSON = "invalid_json"
    INVALID_SIGNATURE = "invalid_signature"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    MISSING = "missing"
    MISSING_API_VERSION = "missing_api_version"
    NOT_FOUND = "not_found"
    REQUEST_TOO_LARGE = "request_too_large"
    SERVICE_UNAVAILABLE = "service_unavailable"  # the database is not answering: 503, Retry-After
    UNAUTHORIZED = "unauthorized"
    UNSUPPORTED = "unsupported"
    UNSUPPORTED_API_VERSION = "unsupported_api_version"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    # the session and its cart
    CHECKOUT_SESSION_CANCELED = "checkout_session_canceled"
    CHECKOUT_SESSION_COMPLETED = "checkout_session_completed"
    CHECKOUT_SESSION_EXPIRED = "checkout_session_expired"
    CHECKOUT_SESSION_IN_PROGRESS = "checkout_session_in_progress"  # another request is completing it
    INVALID_FULFILLMENT_OPTION = "invalid_fulfillment_option"
    INVALID_ITEM_ID = "invalid_item_id"
    LOW_STOCK = "low_stock"
    OUT_OF_STOCK = "out_of_stock"
    QUANTITY_EXCEEDED = "quantity_exceeded"
    REGION_RESTRICTED = "region_restricted"
    UNSUPPORTED_CURRENCY = "unsupported_currency"
    # discount codes (the spec's DiscountErrorCode)
    DISCOUNT_CODE_ALREADY_APPLIED = "discount_code_already_applied"
    DISCOUNT_CODE_COMBINATION_DISALLOWED = "discount_code_combination_disallowed"
    DISCOUNT_CODE_EXPIRED = "discount_code_expired"
    DISCOUNT_CODE_INVALID = "discount_code_invalid"
    DISCOUNT_CODE_MINIMUM_NOT_MET = "discount_code_minimum_not_met"
    DISCOUNT_CODE_USAGE_LIMIT_REACHED = "discount_code_usage_limit_reached"
    DISCOUNT_CODE_USER_INELIGIBLE = "discount_code_user_ineligible"
    # paying
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_PROVIDER_UNAVAILABLE = "payment_provider_unavailable"
    PRICE_CHANGED = "price_changed"
    REQUIRES_3DS = "requires_3ds"
