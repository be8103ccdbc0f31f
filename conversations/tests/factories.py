"""Conversation factories; other apps' tests import these.

A conversation is opened through `conversation_start`, as the chat opens one (welcome message,
hashed token); the factory keeps the token on `conversation.token` for the test to use.
Messages go through `conversation_message_create`, so their sequence numbers are right.
"""

import factory

from conversations.enums import Role
from conversations.models import Conversation, Customer, Message, WhatsAppContact
from conversations.services.conversations import conversation_start
from conversations.services.messages import conversation_message_create


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")


class ConversationFactory(factory.Factory):
    """`ConversationFactory(customer_name="Ann", customer_email="ann@example.com")`, or `customer=`."""

    class Meta:
        model = Conversation

    channel = "web"
    customer_name = ""
    customer_email = ""

    @classmethod
    def _create(cls, model_class, **kwargs):
        conversation, token = conversation_start(**kwargs)
        conversation.token = token
        return conversation

    _build = _create


class MessageFactory(factory.Factory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    role = Role.ASSISTANT
    content = "How can I help?"
    push = False

    @classmethod
    def _create(cls, model_class, **kwargs):
        return conversation_message_create(**kwargs)

    _build = _create


def whatsapp_window_open_for(phone: str, *, customer: Customer | None = None) -> WhatsAppContact:
    """The number wrote to us on WhatsApp just now: its 24-hour window is open."""
    from django.utils import timezone

    customer = customer or Customer.objects.filter(phone=phone).first() or Customer.objects.create(phone=phone)
    contact, _ = WhatsAppContact.objects.update_or_create(
        phone=phone, defaults={"customer": customer, "last_inbound_at": timezone.now()}
    )
    return contact
