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


class WhatsAppWebhookInvalid(ConversationError):
    """A request to /webhooks/whatsapp that is not Meta's: refused before anything is stored."""

    code = ConversationErrorCode.WHATSAPP_PAYLOAD_INVALID
    status_code = 400
