"""Every error code actions answers with (the `code` of its errors, in `{"error": {"code", …}}`):
one list, one name each. Clients branch on these values, so a value never changes meaning.
(Saleor keeps one `error_codes.py` per app the same way.)"""

from enum import StrEnum


class ActionErrorCode(StrEnum):
    ACTION_ALREADY_DECIDED = "action_already_decided"
    ACTION_ERROR = "action_error"
    ACTION_NOT_ALLOWED = "action_not_allowed"
    ACTION_NOT_CLICKABLE = "action_not_clickable"
    ACTION_NOT_FOUND = "action_not_found"
    ACTION_NOT_PENDING = "action_not_pending"
    ACTION_PAYLOAD_INVALID = "action_payload_invalid"
    ACTION_TYPE_MISMATCH = "action_type_mismatch"
    DECISION_INVALID = "decision_invalid"
    EDITED_PAYLOAD_INVALID = "edited_payload_invalid"
    EDITED_PAYLOAD_REQUIRED = "edited_payload_required"
    ILLEGAL_TRANSITION = "illegal_transition"
    NOT_AUTHENTICATED = "not_authenticated"
    OPERATOR_REQUIRED = "operator_required"
    PAYLOAD_MISMATCH = "payload_mismatch"
    PAYLOAD_NOT_ALLOWED = "payload_not_allowed"
    REPLY_INVALID = "reply_invalid"
    RESPONSE_TEMPLATE_IMPORT_INVALID = "response_template_import_invalid"
