"""Every error code conversations answers with (the `code` of its errors, in `{"error": {"code", …}}`):
one list, one name each. Clients branch on these values, so a value never changes meaning.
(Saleor keeps one `error_codes.py` per app the same way.)"""

from enum import StrEnum


class ConversationErrorCode(StrEnum):
    ACTION_INVALID = "action_invalid"  # a socket `action.click` frame without an `action_id`
    CONVERSATION_ACCESS_DENIED = "conversation_access_denied"
    CONVERSATION_ERROR = "conversation_error"
    CONVERSATION_INVALID = "conversation_invalid"
    CONVERSATION_NOT_FOUND = "conversation_not_found"
    HANDOFF_ASSIGNED_TO_OTHER = "handoff_assigned_to_other"
    HANDOFF_CONTACT_INVALID = "handoff_contact_invalid"
    HANDOFF_TRANSITION_INVALID = "handoff_transition_invalid"
    HISTORY_INVALID = "history_invalid"
    INBOX_QUERY_INVALID = "inbox_query_invalid"
    MESSAGE_ALREADY_ANSWERED = "message_already_answered"
    MESSAGE_EMPTY = "message_empty"
    MESSAGE_INVALID = "message_invalid"
    MESSAGE_NOT_FOUND = "message_not_found"
    MESSAGE_TOO_LONG = "message_too_long"
    NOTE_INVALID = "note_invalid"
    OPERATOR_NOT_FOUND = "operator_not_found"
    RATING_ALREADY_GIVEN = "rating_already_given"
    RATING_INVALID = "rating_invalid"
    RATING_NOT_ALLOWED = "rating_not_allowed"
    READ_INVALID = "read_invalid"  # an operator socket `conversation.read` frame: no conversation_id, bad seq
    REPLY_IN_PROGRESS = "reply_in_progress"
    SAVED_REPLY_INVALID = "saved_reply_invalid"
    SAVED_REPLY_NOT_FOUND = "saved_reply_not_found"
    TYPING_INVALID = "typing_invalid"  # an operator socket `typing` frame without conversation_id / active
    WHATSAPP_NOT_CONFIGURED = "whatsapp_not_configured"
    WHATSAPP_PAYLOAD_INVALID = "whatsapp_payload_invalid"
    WHATSAPP_SIGNATURE_INVALID = "whatsapp_signature_invalid"
    WHATSAPP_SIGNATURE_MISSING = "whatsapp_signature_missing"
    WHATSAPP_VERIFY_TOKEN_INVALID = "whatsapp_verify_token_invalid"
