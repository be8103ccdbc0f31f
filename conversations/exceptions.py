from core.exceptions import ApplicationError


class ConversationError(ApplicationError):
    code = "conversation_error"


class ConversationAccessDenied(ConversationError):
    code = "conversation_access_denied"
    status_code = 403


class MessageInvalid(ConversationError):
    code = "message_invalid"
    status_code = 400
