"""Saved replies: text operators insert, with the conversation's customer, order and part filled in.

Rendered with Django's template language, sandboxed the way action response templates are: no
loaders (no {% include %}), no HTML escaping (it is plain text), only the plain values below in
the context, and anything unknown renders empty.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import Context, Engine, TemplateSyntaxError

from conversations.error_codes import ConversationErrorCode
from conversations.models import Conversation, SavedReply
from conversations.selectors import operator_display_name
from core.exceptions import ApplicationError, NotFound

_ENGINE = Engine(autoescape=False, loaders=[], debug=False, string_if_invalid="")
VARIABLES = (
    "customer.name",
    "customer.email",
    "order.number",
    "order.status",
    "part.psNumber",
    "part.name",
    "operator.name",
    "shop.name",
)


def saved_reply_context(*, conversation: Conversation, operator) -> dict:
    """Plain values only: the customer, the conversation's latest order, the part it is about."""
    from catalog import selectors as catalog
    from checkout.models import Order

    customer = conversation.customer
    order = Order.objects.filter(conversation=conversation).order_by("-created_at").first()
    ps_number = (conversation.context or {}).get("psNumber", "")
    product = catalog.product_get(ps_number=ps_number) if ps_number else None
    return {
        "customer": {"name": customer.name or "there", "email": customer.email},
        "order": {"number": order.number, "status": order.get_status_display()} if order else {},
        "part": {"psNumber": ps_number, "name": product.name if product else ""},
        "operator": {"name": operator_display_name(operator)},
        "shop": {"name": settings.PARLEY_SHOP_NAME},
    }


def saved_reply_body_check(*, body: str) -> str:
    """The body, if it compiles (saving a broken template is refused with `saved_reply_invalid`)."""
    try:
        _ENGINE.from_string(body)
    except TemplateSyntaxError as exc:
        raise ApplicationError(
            f"The reply does not read as a template: {exc}",
            code=ConversationErrorCode.SAVED_REPLY_INVALID,
            fields={"body": [str(exc)]},
        ) from None
    return body


def saved_reply_render(*, saved_reply_id, conversation_id: str, operator) -> str:
    reply = (
        SavedReply.objects.filter(pk=saved_reply_id, is_active=True).first() if str(saved_reply_id).isdigit() else None
    )
    if reply is None:
        raise NotFound("No such saved reply.", code=ConversationErrorCode.SAVED_REPLY_NOT_FOUND)
    conversation = Conversation.objects.select_related("customer").filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound("No such conversation.", code=ConversationErrorCode.CONVERSATION_NOT_FOUND)
    context = saved_reply_context(conversation=conversation, operator=operator)
    try:
        return _ENGINE.from_string(reply.body).render(Context(context, autoescape=False)).strip()
    except Exception as exc:  # a template edited in the admin that no longer renders
        raise ApplicationError(
            f"This saved reply could not be filled in: {exc}", code=ConversationErrorCode.SAVED_REPLY_INVALID
        ) from None


def saved_reply_create(*, title: str, body: str) -> SavedReply:
    """A new saved reply; a title already used is refused (`saved_reply_invalid`), nothing written."""
    saved_reply_body_check(body=body)
    title = title.strip()[:80]
    try:
        with transaction.atomic():
            return SavedReply.objects.create(title=title, body=body)
    except IntegrityError:
        raise ApplicationError(
            f"A saved reply is already called {title!r}.",
            code=ConversationErrorCode.SAVED_REPLY_INVALID,
            fields={"title": ["Already used."]},
        ) from None
