"""The chat's copy of a back-in-stock notice: registered with alerts
(`notice_chat_copy_register`) from ConversationsConfig.ready, called when the notice is sent."""

from actions.enums import ActionTypeName
from actions.services.selection import ActionProposal, actions_render_for_message, actions_select
from actions.types import Prerequisites
from alerts.models import AlertNotice
from alerts.services.notices import notice_chat_text
from catalog.serializers import product_card
from conversations.enums import MessageType, Role
from conversations.services.messages import conversation_message_create, message_push


def alert_notice_chat_copy(*, notice: AlertNotice):
    """The assistant message of type alert_notified and its checkout_now button (through the action
    rules, so a part that is out of stock again, or does not fit the conversation's model, gets none)."""
    subscription = notice.subscription
    conversation = subscription.conversation
    product = subscription.product
    if conversation is None:
        return None, None
    context = conversation.context or {}
    message = conversation_message_create(
        conversation=conversation,
        role=Role.ASSISTANT,
        message_type=MessageType.ALERT_NOTIFIED,
        content=notice_chat_text(product),
        parts=[product_card(product)],
        metadata={
            "alert_notice_id": notice.pk,
            "restock_key": notice.restock_key,
            "subscription_id": subscription.id,
        },
        push=False,
    )
    selected = actions_select(
        proposals=[
            ActionProposal(type=ActionTypeName.CHECKOUT_NOW, payload={"psNumber": product.ps_number, "quantity": 1})
        ],
        known=Prerequisites(model_number=str(context.get("modelNumber") or ""), conversation_id=conversation.id),
    )
    actions = actions_render_for_message(
        conversation=conversation, message=message, selected=selected, intent="alert_notified"
    )
    message_push(
        message=message,
        event_type="alert.notified",
        extra={"notice": {"id": notice.pk, "restock_key": notice.restock_key, "psNumber": product.ps_number}},
    )
    return message, (actions[0] if actions else None)
