import pytest

from actions.tests.factories import ActionFactory
from conversations.tests.factories import ConversationFactory


@pytest.fixture
def operator(db, django_user_model):
    return django_user_model.objects.create_user(username="olga", password="pw-olga-1234", is_staff=True)


@pytest.fixture
def non_staff(db, django_user_model):
    return django_user_model.objects.create_user(username="carl", password="pw-carl-1234")


@pytest.fixture
def pending_action(db):
    """A refund_request the customer clicked: pending_approval."""

    def make(conversation=None, **kwargs):
        from actions.services.clicks import action_click

        if conversation is None:
            conversation = ConversationFactory(customer_name="Ann", customer_email="ann@example.com")
        action = ActionFactory(conversation=conversation, **kwargs)
        return action_click(action=action)

    return make
