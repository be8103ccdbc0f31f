from django.conf import settings
from django.db import models

from conversations.enums import Channel, ConversationStatus, MessageType, Role
from core.ids import new_id
from core.models import TimeStampedModel


def new_customer_id() -> str:
    return new_id("cus")


def new_conversation_id() -> str:
    return new_id("conv")


def new_message_id() -> str:
    return new_id("msg")


class Customer(TimeStampedModel):
    """Whoever is on the other side of a conversation; contact details are optional."""

    id = models.CharField(primary_key=True, max_length=32, default=new_customer_id, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="customer"
    )
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=20, blank=True, db_index=True, help_text="E.164")
    email_verified = models.BooleanField(default=False)
    phone_verified = models.BooleanField(default=False)

    def __str__(self):
        return self.name or self.email or self.phone or self.id


class Conversation(TimeStampedModel):
    id = models.CharField(primary_key=True, max_length=32, default=new_conversation_id, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="conversations")
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField(max_length=16, choices=ConversationStatus.choices, default=ConversationStatus.OPEN)
    # Only a hash is kept: the token is shown once, to the client that opened the conversation.
    token_hash = models.CharField(max_length=64, editable=False)
    # The page's product context and what the assistant has inferred (part, model, brand, type).
    context = models.JSONField(default=dict, blank=True)
    last_seq = models.PositiveIntegerField(default=0, editable=False)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.id


class Message(TimeStampedModel):
    id = models.CharField(primary_key=True, max_length=32, default=new_message_id, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    # Position in the conversation, so a reconnecting client can ask for "everything after N".
    seq = models.PositiveIntegerField(editable=False)
    role = models.CharField(max_length=16, choices=Role.choices)
    message_type = models.CharField(max_length=32, choices=MessageType.choices, default=MessageType.TEXT)
    content = models.TextField(blank=True)
    parts = models.JSONField(default=list, blank=True)
    client_message_id = models.CharField(max_length=64, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_unique_seq"),
            models.UniqueConstraint(
                fields=["conversation", "client_message_id"],
                condition=~models.Q(client_message_id=""),
                name="message_unique_client_id",
            ),
        ]

    def __str__(self):
        return f"{self.id} ({self.role})"


class ShopPolicy(TimeStampedModel):
    """What the shop says about returns, shipping, warranty, payment or reaching a person.

    The assistant answers such questions by quoting `text` (never its own words), finding the
    policy by the meaning of `title` and `questions`. Edited in the admin; seeded for the demo
    from demo_data/shop_policies.json.
    """

    topic = models.SlugField(max_length=40, unique=True, help_text="returns, shipping, warranty, payment, contact, …")
    title = models.CharField(max_length=120)
    text = models.TextField(help_text="Quoted to customers as written.")
    questions = models.JSONField(
        default=list, blank=True, help_text="How customers ask about it (examples; matched by meaning)."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["topic"]
        verbose_name_plural = "shop policies"

    def __str__(self):
        return self.title
