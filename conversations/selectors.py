from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max, Prefetch
from django.utils import timezone

from actions.models import Action
from conversations.enums import Handling
from conversations.error_codes import ConversationErrorCode
from conversations.exceptions import ConversationAccessDenied
from conversations.models import Conversation, Customer, Handoff, Message, ShopPolicy, WhatsAppContact
from core.exceptions import NotFound
from core.ids import token_matches
from core.stamps import TableStamp


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


def _shop_policies_version() -> tuple:
    row = ShopPolicy.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    return row["n"], str(row["changed"])


_shop_policies_stamp = TableStamp("conversations.ShopPolicy", _shop_policies_version)


def shop_policies_version() -> tuple:
    """Changes whenever a policy is added, edited or removed (for caches built from them); read at
    most every PARLEY_DATA_RECHECK_SECONDS, at once after a save in this process (core/stamps.py)."""
    return _shop_policies_stamp.get()


# --- handoff: who answers the conversation -------------------------------------------------------


def operator_display_name(user) -> str:
    """How an operator is named to customers and colleagues: full name, else first name, else username."""
    if user is None:
        return ""
    return (user.get_full_name() or user.first_name or user.get_username()).strip()[:80]


def handoff_open_get(*, conversation_id: str) -> Handoff | None:
    """The conversation's unresolved handoff (at most one, by constraint)."""
    return (
        Handoff.objects.select_related("operator")
        .filter(conversation_id=conversation_id, resolved_at=None)
        .order_by("-requested_at")
        .first()
    )


def handoff_latest_get(*, conversation_id: str) -> Handoff | None:
    return (
        Handoff.objects.select_related("operator")
        .filter(conversation_id=conversation_id)
        .order_by("-requested_at")
        .first()
    )


def handoff_public_dict(conversation: Conversation) -> dict:
    """What the customer sees of the handoff (socket `handoff` frames, `GET …/handoff`): who
    answers, when someone will be there, whether to ask for an email, whether to ask for a
    rating. Never an operator's id or email."""
    from conversations.shop_hours import shop_next_opening

    handoff = handoff_latest_get(conversation_id=conversation.pk)
    state = conversation.handling
    waiting = state in (Handling.WAITING_FOR_HUMAN, Handling.ASSIGNED) and handoff is not None
    after_hours = bool(waiting and handoff.after_hours and state == Handling.WAITING_FOR_HUMAN)
    opening = shop_next_opening() if after_hours else None
    return {
        "state": state,
        "operator": {"name": operator_display_name(conversation.assignee)}
        if state == Handling.ASSIGNED and conversation.assignee_id
        else None,
        "afterHours": after_hours,
        "nextOpening": opening.isoformat() if opening is not None else None,
        "emailWanted": bool(after_hours and not handoff.notify_email),
        "canRate": bool(
            state == Handling.RESOLVED
            and handoff is not None
            and handoff.resolved_at is not None
            and handoff.rating is None
        ),
    }


def handoff_operator_dict(conversation: Conversation) -> dict:
    """What the inbox sees of a conversation's handoff (`operator.handoff` frames, the operator API)."""
    handoff = handoff_latest_get(conversation_id=conversation.pk)
    assignee = conversation.assignee if conversation.assignee_id else None

    def when(value):
        return value.isoformat() if value else None

    return {
        "state": conversation.handling,
        "assignee": {"id": assignee.pk, "name": operator_display_name(assignee)} if assignee else None,
        "handoffId": handoff.pk if handoff else None,
        "reason": handoff.reason if handoff else None,
        "requestedBy": handoff.requested_by if handoff else None,
        "requestedAt": when(handoff.requested_at) if handoff else None,
        "assignedAt": when(handoff.assigned_at) if handoff else None,
        "firstResponseAt": when(handoff.first_response_at) if handoff else None,
        "resolvedAt": when(handoff.resolved_at) if handoff else None,
        "afterHours": bool(handoff and handoff.after_hours),
        "notifyEmail": handoff.notify_email if handoff else "",
        "operator": {"id": handoff.operator_id, "name": operator_display_name(handoff.operator)}
        if handoff and handoff.operator_id
        else None,
        "rating": handoff.rating if handoff else None,
        "ratingComment": handoff.rating_comment if handoff else "",
    }


def whatsapp_window_open(*, phone: str) -> bool:
    """Whether the number wrote to us within WHATSAPP_WINDOW_HOURS (Meta's customer-service window:
    inside it any message may be sent, outside it only approved templates)."""
    since = timezone.now() - timedelta(hours=settings.WHATSAPP_WINDOW_HOURS)
    return WhatsAppContact.objects.filter(phone=phone, last_inbound_at__gte=since).exists()


def whatsapp_customer_email(*, phone: str) -> str:
    """The email address of the customer a WhatsApp number belongs to, or ""."""
    contact = WhatsAppContact.objects.select_related("customer").filter(phone=phone).first()
    if contact is not None and contact.customer.email:
        return contact.customer.email
    customer = Customer.objects.filter(phone=phone).exclude(email="").order_by("created_at").first()
    return customer.email if customer else ""
