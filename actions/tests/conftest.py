from decimal import Decimal

import pytest


@pytest.fixture
def operator(db, django_user_model):
    return django_user_model.objects.create_user(username="olga", password="pw-olga-1234", is_staff=True)


@pytest.fixture
def non_staff(db, django_user_model):
    return django_user_model.objects.create_user(username="carl", password="pw-carl-1234")


@pytest.fixture
def paid_order(db):
    """A paid order of a fresh web conversation, through the offline test provider."""

    def make(conversation, total="49.98", number="ORD-TEST1"):
        from checkout.models import Order

        return Order.objects.create(
            number=number,
            conversation=conversation,
            customer=conversation.customer,
            currency="USD",
            subtotal=Decimal(total),
            total=Decimal(total),
            provider="test",
            provider_payment_ref="pi_test_1",
            order_source="conversational",
        )

    return make


@pytest.fixture
def rendered_action(db):
    """An action rendered in an assistant message of `conversation`."""

    def make(conversation, type="refund_request", payload=None, label=None, status="rendered"):
        from actions.models import Action, ActionTransition
        from actions.types import action_type_get
        from conversations.services.messages import conversation_message_create

        action_type = action_type_get(type)
        message = conversation_message_create(
            conversation=conversation, role="assistant", content="I can ask our team.", push=False
        )
        action = Action.objects.create(
            conversation=conversation,
            message=message,
            type=type,
            label=label or action_type.label,
            style=action_type.style,
            payload=payload if payload is not None else {"orderNumber": "ORD-TEST1", "reason": "Broken on arrival"},
            requires_confirmation=action_type.requires_confirmation,
            status=status,
        )
        ActionTransition.objects.create(action=action, from_status="proposed", to_status=status)
        return action

    return make


@pytest.fixture
def pending_action(rendered_action, conversation_factory):
    """A refund_request the customer clicked: pending_approval."""

    def make(conversation=None, **kwargs):
        from actions.services.clicks import action_click

        if conversation is None:
            conversation, _ = conversation_factory(customer_name="Ann", customer_email="ann@example.com")
        action = rendered_action(conversation, **kwargs)
        return action_click(action=action)

    return make
