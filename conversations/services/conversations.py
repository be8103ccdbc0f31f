from django.conf import settings
from django.db import transaction

from analytics.enums import EventName
from analytics.services import event_record
from analytics.services.experiments import VISITOR_ID
from conversations.assistant.scope import scope_label
from conversations.enums import Channel, MessageType, Role
from conversations.models import Conversation, Customer
from conversations.services.messages import conversation_message_create
from core.ids import new_token, token_hash

_CONTEXT_KEYS = ("psNumber", "modelNumber", "applianceType", "brand", "pageUrl")


def welcome_text(shop_name: str, scope: str) -> str:
    return (
        f"Hi! I'm the {shop_name} assistant. I can check whether a {scope} part fits your model, "
        "explain how to install it, tell you price and stock, and help you order it."
    )


@transaction.atomic
def conversation_start(
    *,
    channel: str = Channel.WEB,
    context: dict | None = None,
    customer: Customer | None = None,
    customer_name: str = "",
    customer_email: str = "",
) -> tuple[Conversation, str]:
    """Open a conversation; the token returned here is the only way back into it."""
    if customer is None:
        customer = Customer.objects.create(name=customer_name, email=customer_email.lower())
    token = new_token()
    page_context = {key: str(value)[:200] for key, value in (context or {}).items() if key in _CONTEXT_KEYS and value}
    stored_context = {"page": page_context, **page_context}
    visitor_id = (context or {}).get("visitorId")
    if isinstance(visitor_id, str) and VISITOR_ID.fullmatch(visitor_id):
        # The widget's visitor: an order paid in this conversation is that visitor's conversion
        # (experiments). Kept out of "page", which the assistant reads.
        stored_context["visitorId"] = visitor_id
    conversation = Conversation.objects.create(
        customer=customer, channel=channel, token_hash=token_hash(token), context=stored_context
    )
    conversation_message_create(
        conversation=conversation,
        role=Role.ASSISTANT,
        message_type=MessageType.TEXT,
        content=welcome_text(settings.PARLEY_SHOP_NAME, scope_label()),
    )
    event_record(
        name=EventName.CHAT_OPENED,
        conversation_id=conversation.id,
        ps_number=page_context.get("psNumber", ""),
        model_number=page_context.get("modelNumber", ""),
    )
    return conversation, token
