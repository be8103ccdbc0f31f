"""Every error code analytics answers with (the `code` of its errors, in `{"error": {"code", …}}`):
one list, one name each. Clients branch on these values, so a value never changes meaning.
(Saleor keeps one `error_codes.py` per app the same way.)"""

from enum import StrEnum


class AnalyticsErrorCode(StrEnum):
    ANALYTICS_ERROR = "analytics_error"
    BATCH_TOO_LARGE = "batch_too_large"
    CONVERSATION_FORBIDDEN = "conversation_forbidden"
    CONVERSATION_REQUIRED = "conversation_required"
    CURRENCY_MISMATCH = "currency_mismatch"
    EXPERIMENT_NOT_FOUND = "experiment_not_found"
    EXPERIMENT_STATE = "experiment_state"
    INVALID_BATCH = "invalid_batch"
    INVALID_DIMENSION = "invalid_dimension"
    INVALID_EVENT = "invalid_event"
    INVALID_EVENT_ID = "invalid_event_id"
    INVALID_OCCURRED_AT = "invalid_occurred_at"
    INVALID_ORDER = "invalid_order"
    INVALID_SIGNATURE = "invalid_signature"
    INVALID_VISITOR_ID = "invalid_visitor_id"
    INVALID_PROPERTIES = "invalid_properties"
    OCCURRED_IN_FUTURE = "occurred_in_future"
    TOO_OLD = "too_old"
    UNKNOWN_FIELD = "unknown_field"
    UNKNOWN_NAME = "unknown_name"
    VISITOR_REQUIRED = "visitor_required"
    WEBHOOK_DISABLED = "webhook_disabled"
