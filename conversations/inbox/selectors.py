"""The operator inbox's reads: which conversations a view lists, search, unread counts.

One query for a page of rows: the customer and the operator holding it joined, the last message
(not counting internal status lines) and this operator's unread count as subqueries (each
answered by the `(conversation, seq)` unique index). Search ORs uncorrelated `IN (…)`
subqueries, so PostgreSQL runs each once on its own index: trigram GIN indexes on the
customer's name, email and phone and on message text (`conversations` migration 0005), the
order number's unique index.
"""

from __future__ import annotations

import re

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from checkout.selectors import order_conversation_ids
from conversations.enums import ConversationStatus, Handling, InboxView, Role
from conversations.error_codes import ConversationErrorCode
from conversations.exceptions import ConversationError
from conversations.models import Conversation, ConversationRead, Customer, Message
from core.exceptions import NotFound

PAGE_SIZE = 50
PAGE_SIZE_MAX = 200
QUERY_MAX_LENGTH = 100
# Below this, a substring of message text matches too much to be worth reading (and trigram
# indexes need three characters): shorter queries search names, emails, phones and orders only.
TEXT_QUERY_MIN_LENGTH = 3
PHONE_QUERY_MIN_DIGITS = 4
_NOT_DIGITS = re.compile(r"\D")


def inbox_query_clean(query) -> str:
    """The search text as typed (trimmed); `inbox_query_invalid` when it is not text or too long."""
    if query is None:
        return ""
    if not isinstance(query, str) or len(query) > QUERY_MAX_LENGTH or "\x00" in query:
        raise ConversationError(
            f"Search for at most {QUERY_MAX_LENGTH} characters of text.",
            code=ConversationErrorCode.INBOX_QUERY_INVALID,
            fields={"q": [f"At most {QUERY_MAX_LENGTH} characters."]},
        )
    return " ".join(query.split())


def _view(queryset: QuerySet, view: str, operator) -> QuerySet:
    """The view's rows in its order: `waiting` oldest first (who has waited longest), `open` with
    the conversations a person is asked for or holds first, the others latest activity first."""
    latest = ("-last_message_at", "-id")
    if view == InboxView.WAITING:
        return queryset.filter(handling=Handling.WAITING_FOR_HUMAN).order_by("updated_at", "id")
    if view == InboxView.MINE:
        return queryset.filter(handling=Handling.ASSIGNED, assignee=operator).order_by(*latest)
    if view == InboxView.RESOLVED:
        return queryset.filter(handling=Handling.RESOLVED).order_by("-updated_at", "-id")
    if view == InboxView.OPEN:
        person_first = Case(
            When(handling__in=[Handling.WAITING_FOR_HUMAN, Handling.ASSIGNED], then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return queryset.filter(status=ConversationStatus.OPEN).order_by(person_first, *latest)
    if view == InboxView.ALL:
        return queryset.order_by(*latest)
    raise ConversationError(
        f"Unknown view {str(view)[:40]!r}; one of {', '.join(InboxView.values)}.",
        code=ConversationErrorCode.INBOX_QUERY_INVALID,
        fields={"view": [f"One of {', '.join(InboxView.values)}."]},
    )


def conversations_waiting_count() -> int:
    """Conversations waiting for a person (the inbox's `waiting` view), for the admin's landing page."""
    return Conversation.objects.filter(handling=Handling.WAITING_FOR_HUMAN).count()


def _search_filter(query: str) -> Q:
    customers = Q(name__icontains=query) | Q(email__icontains=query)
    digits = _NOT_DIGITS.sub("", query)
    if len(digits) >= PHONE_QUERY_MIN_DIGITS and len(digits) * 2 >= len(query.replace(" ", "")):
        customers |= Q(phone__icontains=digits)
    matches = Q(customer_id__in=Customer.objects.filter(customers).values("id"))
    matches |= Q(id__in=order_conversation_ids(number=query))
    matches |= Q(context__psNumber__iexact=query)  # the part the conversation is about
    if len(query) >= TEXT_QUERY_MIN_LENGTH:
        matches |= Q(id__in=Message.objects.filter(content__icontains=query).values("conversation_id"))
    return matches


def _with_inbox_columns(queryset: QuerySet, operator) -> QuerySet:
    last = Message.objects.filter(conversation=OuterRef("pk")).exclude(role=Role.INTERNAL).order_by("-seq")
    read_seq = ConversationRead.objects.filter(conversation=OuterRef("pk"), user=operator).values("last_read_seq")[:1]
    unread = (
        Message.objects.filter(conversation=OuterRef("pk"), role=Role.USER, seq__gt=OuterRef("read_seq"))
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return queryset.select_related("customer", "assignee").annotate(
        read_seq=Coalesce(Subquery(read_seq, output_field=IntegerField()), Value(0)),
        unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
        last_id=Subquery(last.values("id")[:1]),
        last_seq_shown=Subquery(last.values("seq")[:1]),
        last_role=Subquery(last.values("role")[:1]),
        last_content=Subquery(last.values("content")[:1]),
        last_created_at=Subquery(last.values("created_at")[:1]),
    )


def inbox_conversations_list(
    *, operator, view: str = InboxView.OPEN, query: str = "", limit: int = PAGE_SIZE
) -> list[Conversation]:
    """The conversations of an inbox view (`InboxView`), optionally only those whose customer's
    name, email or phone, order number, part, or message text matches `query`. Each row has
    `unread` (the customer's messages this operator has not opened yet) and the last message
    (`last_id`, `last_seq_shown`, `last_role`, `last_content`, `last_created_at`) besides the
    conversation, its customer and its assignee."""
    query = inbox_query_clean(query)
    conversations = _view(Conversation.objects.exclude(last_message_at=None), view, operator)
    if query:
        conversations = conversations.filter(_search_filter(query))
    conversations = _with_inbox_columns(conversations, operator)
    return list(conversations[: max(1, min(limit, PAGE_SIZE_MAX))])


def inbox_conversation_get(*, operator, conversation_id: str) -> Conversation:
    """One conversation with the inbox's columns (its line in the list, wherever it is shown)."""
    conversation = _with_inbox_columns(Conversation.objects.filter(pk=conversation_id), operator).first()
    if conversation is None:
        raise NotFound("No such conversation.", code=ConversationErrorCode.CONVERSATION_NOT_FOUND)
    return conversation
