"""Operators' internal notes on a conversation: stored apart from its messages, so no path that
shows the customer their conversation (history, sockets, outbound channels) can include one."""

from django.db import transaction

from conversations.error_codes import ConversationErrorCode
from conversations.models import Conversation, ConversationNote
from core import realtime
from core.exceptions import ApplicationError, NotFound

NOTE_MAX_LENGTH = 4000


def note_to_dict(note: ConversationNote) -> dict:
    from conversations.selectors import operator_display_name

    return {
        "id": note.pk,
        "conversationId": note.conversation_id,
        "author": {"id": note.author_id, "name": operator_display_name(note.author)} if note.author_id else None,
        "content": note.content,
        "createdAt": note.created_at.isoformat(),
    }


@transaction.atomic
def conversation_note_create(*, conversation_id: str, author, content) -> ConversationNote:
    if not isinstance(content, str) or not content.replace("\x00", "").strip():
        raise ApplicationError(
            "A note needs some text.",
            code=ConversationErrorCode.NOTE_INVALID,
            fields={"content": ["May not be blank."]},
        )
    content = content.replace("\x00", "").strip()
    if len(content) > NOTE_MAX_LENGTH:
        raise ApplicationError(
            f"A note is at most {NOTE_MAX_LENGTH} characters.",
            code=ConversationErrorCode.NOTE_INVALID,
            fields={"content": [f"At most {NOTE_MAX_LENGTH} characters."]},
        )
    if not Conversation.objects.filter(pk=conversation_id).exists():
        raise NotFound("No such conversation.", code=ConversationErrorCode.CONVERSATION_NOT_FOUND)
    note = ConversationNote.objects.create(conversation_id=conversation_id, author=author, content=content)
    # Only the operators' group: never the conversation's own (the customer's sockets).
    realtime.send_event_on_commit(realtime.OPERATORS_GROUP, {"type": "operator.note", "note": note_to_dict(note)})
    return note
