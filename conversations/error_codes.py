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
    HISTORY_INVALID = "history_invalid"
    MESSAGE_EMPTY = "message_empty"
    MESSAGE_INVALID = "message_invalid"
    MESSAGE_NOT_FOUND = "message_not_found"
    MESSAGE_TOO_LONG = "message_too_long"
    REPLY_IN_PROGRESS = "reply_in_progress"
