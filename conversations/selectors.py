from django.db.models import Count, Max, Prefetch

from actions.models import Action
from conversations.error_codes import ConversationErrorCode
from conversations.exceptions import ConversationAccessDenied
from conversations.models import Conversation, Customer, Message, ShopPolicy
from core.exceptions import NotFound
from core.ids import token_matches


def conversation_get_authorized(*, conversation_id: str, token: str | None) -> Conversation:
    """The conversation, only for the holder of its token. Unknown id and wrong token look alike."""
    conversation = Conversation.objects.select_related("customer").filter(id=conversation_id).first()
    if conversation is None:
        raise NotFound("No such conversation.", code=ConversationErrorCode.CONVERSATION_NOT_FOUND)
    if not token_matches(stored_hash=conversation.token_hash, token=token):
        raise ConversationAccessDenied("This conversation needs its own token.")
    return conversation


def conversation_ids_authorized(*, conversation_ids: set[str], token: str | None) -> set[str]:
    """The ids among these that `token` opens (one query): at most one, since a token is per
    conversation. Unknown ids and wrong tokens are simply absent."""
    if not token or not conversation_ids:
        return set()
    rows = Conversation.objects.filter(id__in=conversation_ids).values_list("id", "token_hash")
    return {cid for cid, stored in rows if token_matches(stored_hash=stored, token=token)}


def customer_get_by_email(*, email: str) -> Customer | None:
    """The customer an email names, case-insensitively: the oldest, as an email is not unique
    (each web conversation may have its own customer row). None for an empty email."""
    email = (email or "").strip()
    if not email:
        return None
    return Customer.objects.filter(email__iexact=email).order_by("created_at").first()


def messages_list(
    *, conversation: Conversation, after_id: str | None = None, after_seq: int | None = None, limit: int = 200
) -> list[Message]:
    """Messages in order; with `after_id` or `after_seq` (a client's last contiguous seq), only
    those the client has not seen yet. At most `limit`: a client that got that many asks again."""
    queryset = Message.objects.filter(conversation=conversation)
    if after_seq is not None:
        queryset = queryset.filter(seq__gt=after_seq)
    if after_id:
        anchor = Message.objects.filter(conversation=conversation, id=after_id).values_list("seq", flat=True).first()
        if anchor is None:
            raise NotFound(
                "That message is not part of this conversation.", code=ConversationErrorCode.MESSAGE_NOT_FOUND
            )
        queryset = queryset.filter(seq__gt=anchor)
    return list(
        queryset.order_by("seq").prefetch_related(
            Prefetch("actions", queryset=Action.objects.order_by("position", "created_at"))
        )[:limit]
    )


def conversation_seq_get(*, conversation_id: str, message_id: str | None = None) -> int:
    """The `seq` a pushed frame relates to: its message's, else the conversation's latest."""
    if message_id:
        seq = Message.objects.filter(pk=message_id).values_list("seq", flat=True).first()
        if seq is not None:
            return seq
    return Conversation.objects.filter(pk=conversation_id).values_list("last_seq", flat=True).first() or 0


def message_with_actions(*, message_id: str) -> Message:
    return Message.objects.prefetch_related(
        Prefetch("actions", queryset=Action.objects.order_by("position", "created_at"))
    ).get(id=message_id)


def shop_policies_active() -> list[ShopPolicy]:
    return list(ShopPolicy.objects.filter(is_active=True))


def shop_policies_version() -> tuple:
    """Changes whenever a policy is added, edited or removed (for caches built from them)."""
    row = ShopPolicy.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    return row["n"], str(row["changed"])
