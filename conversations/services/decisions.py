"""The chat's copy of an operator's decision: actions tells it (`action_response_delivered`,
received in `conversations.receivers`) once the decision reached the customer."""

from conversations.enums import MessageType, Role
from conversations.models import Conversation
from conversations.services.messages import conversation_message_create


def conversation_decision_record(*, conversation: Conversation, action, response, status_text: str) -> None:
    """The internal status update, then the reply, as messages of the conversation (in the caller's
    transaction; both pushed to its sockets on commit: the web chat's delivery of the reply)."""
    meta = {"action_id": action.id, "action_response_id": response.pk, "outcome": response.outcome}
    conversation_message_create(
        conversation=conversation,
        role=Role.INTERNAL,
        message_type=MessageType.ACTION_STATUS_UPDATE,
        content=status_text,
        metadata={**meta, "status": response.outcome},
    )
    conversation_message_create(conversation=conversation, role=Role.ASSISTANT, content=response.text, metadata=meta)
