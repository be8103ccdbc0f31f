from django.conf import settings
from django.db import transaction
from django.utils import timezone

from actions.models import Action
from conversations.error_codes import ConversationErrorCode
from conversations.models import Conversation, Message
from conversations.selectors import message_with_actions
from conversations.serializers import message_to_dict
from core import realtime


@transaction.atomic(savepoint=False)
def conversation_message_create(
    *,
    conversation: Conversation,
    role: str,
    content: str,
    message_type: str = "text",
    parts: list | None = None,
    metadata: dict | None = None,
    client_message_id: str = "",
    push: bool = True,
    message_id: str | None = None,
    locked: bool = False,
    conversation_fields: dict | None = None,
) -> Message:
    """Append a message. The conversation row is locked so sequence numbers never collide.

    `message_id` lets a caller reserve the id beforehand (a streamed reply's `token` events
    name the message they belong to before it is stored). `push` sends the message as created,
    with no actions: a caller that gives it actions passes `push=False` and calls
    `message_push(message=…, actions=…)` once they are stored.

    `locked`: the caller read `conversation` under `select_for_update` in this transaction (and
    changes nothing of it after the message): its `last_seq` is current, so the row is not read
    again, and a customer's message tells the operators' inbox from it (its customer and
    assignee loaded with it) instead of reading the conversation back after commit.

    `conversation_fields`: more of the conversation's columns to set (`{"context": …}`), in the
    same UPDATE that moves its sequence number on, instead of an UPDATE of their own.

    Inside a caller's transaction it takes no savepoint of its own (two statements less per
    message): a failed append fails the caller's transaction, which no caller goes on with."""
    if locked:
        seq = conversation.last_seq + 1
    else:
        seq = Conversation.objects.select_for_update().only("id", "last_seq").get(pk=conversation.pk).last_seq + 1
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(
        **(conversation_fields or {}), last_seq=seq, last_message_at=now, updated_at=now
    )
    for name, value in (conversation_fields or {}).items():
        setattr(conversation, name, value)
    conversation.last_seq = seq
    if locked:
        conversation.last_message_at = conversation.updated_at = now
    message = Message.objects.create(
        **({"id": message_id} if message_id else {}),
        conversation=conversation,
        seq=seq,
        role=role,
        message_type=message_type,
        content=content,
        parts=parts or [],
        metadata=metadata or {},
        client_message_id=client_message_id,
    )
    if push:
        message_push(message=message, actions=[])
    if role == "user":
        from conversations.services.operators import operator_conversation_push

        operator_conversation_push(conversation=conversation, message=message, as_locked=locked)
    return message


def message_push(
    *, message: Message, event_type: str = "message", extra: dict | None = None, actions: list[Action] | None = None
) -> None:
    """Send the message, as the client will render it, to every socket of its conversation.

    `actions`: the message's actions as the caller just stored them in this transaction ([] for
    none); the event is then built from the rows in hand (and `message.actions.all()` answers
    from them) instead of reading the message back after commit. Without it, it is read back."""
    if actions is not None:
        _actions_known(message, actions)

    def event() -> dict:
        fresh = message if actions is not None else message_with_actions(message_id=message.id)
        return {"type": event_type, "seq": fresh.seq, "message": message_to_dict(fresh), **(extra or {})}

    realtime.send_event_on_commit(realtime.conversation_group(message.conversation_id), event)


def _actions_known(message: Message, actions: list[Action]) -> None:
    """Let `message.actions.all()` answer with `actions` (in position order) without a query, as
    `prefetch_related("actions")` would have left it."""
    queryset = message.actions.all()
    queryset._result_cache = sorted(actions, key=lambda action: action.position)
    queryset._prefetch_done = True
    message._prefetched_objects_cache = {**getattr(message, "_prefetched_objects_cache", {}), "actions": queryset}


def message_content_clean(content) -> str:
    from conversations.exceptions import MessageInvalid

    if not isinstance(content, str):
        raise MessageInvalid("The message must be text.", fields={"content": ["Must be a string."]})
    cleaned = content.replace("\x00", "").strip()
    if not cleaned:
        raise MessageInvalid(
            "The message is empty.", code=ConversationErrorCode.MESSAGE_EMPTY, fields={"content": ["May not be blank."]}
        )
    if len(cleaned) > settings.PARLEY_MESSAGE_MAX_LENGTH:
        raise MessageInvalid(
            f"The message is longer than {settings.PARLEY_MESSAGE_MAX_LENGTH} characters.",
            code=ConversationErrorCode.MESSAGE_TOO_LONG,
            fields={"content": [f"At most {settings.PARLEY_MESSAGE_MAX_LENGTH} characters."]},
        )
    return cleaned


# The largest value a PositiveIntegerField holds on every database (PostgreSQL's integer).
_SEQ_MAX = 2**31 - 1


def history_after_seq_clean(value) -> int | None:
    """`after_seq` as a client sends it (a JSON number on the socket, a query string over REST):
    a whole number from 0, or None when absent. Anything else is `history_invalid`."""
    from conversations.exceptions import MessageInvalid

    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _SEQ_MAX:
        raise MessageInvalid(
            "`after_seq` must be a whole number from 0 (the last message seq the client has).",
            code=ConversationErrorCode.HISTORY_INVALID,
            fields={"after_seq": ["A whole number from 0."]},
        )
    return value
