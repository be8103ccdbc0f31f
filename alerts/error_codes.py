"""Every error code alerts answers with (the `code` of its errors, in `{"error": {"code", …}}`):
one list, one name each. Clients branch on these values, so a value never changes meaning.
(Saleor keeps one `error_codes.py` per app the same way.)"""

from enum import StrEnum


class AlertErrorCode(StrEnum):
    ALERT_INVALID = "alert_invalid"
    CHANNEL_INVALID = "channel_invalid"
    CHANNEL_UNAVAILABLE = "channel_unavailable"
    CONTACT_INVALID = "contact_invalid"
    CONVERSATION_REQUIRED = "conversation_required"
    PRODUCT_IN_STOCK = "product_in_stock"
    PRODUCT_NOT_FOUND = "product_not_found"
    SUBSCRIPTION_NOT_FOUND = "subscription_not_found"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_INVALID = "token_invalid"
