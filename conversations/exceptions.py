from conversations.error_codes import ConversationErrorCode
from core.exceptions import ApplicationError


class ConversationError(ApplicationError):
    code = ConversationErrorCode.CONVERSATION_ERROR


class ConversationAccessDenied(ConversationError):
    code = ConversationErrorCode.CONVERSATION_ACCESS_DENIED
    status_code = 403


class MessageInvalid(ConversationError):
    code = ConversationErrorCode.MESSAGE_INVALID
    status_code = 400
