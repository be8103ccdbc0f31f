from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper

from conversations.enums import (
    Channel,
    ConversationStatus,
    Handling,
    HandoffReason,
    MessageType,
    Role,
    WhatsAppEventKind,
    WhatsAppSendStatus,
)
from core.enums import InboundEventStatus
from core.ids import new_id
from core.models import TimeStampedModel


def new_customer_id() -> str:
    return new_id("cus")


def new_conversation_id() -> str:
    return new_id("conv")


def new_message_id() -> str:
    return new_id("msg")


def new_handoff_id() -> str:
    return new_id("hof")


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

    class Meta:
        # The inbox searches customers by any part of a name, email or phone (`icontains`, which
        # PostgreSQL runs as UPPER(col) LIKE '%…%'): trigram indexes on those expressions.
        indexes = [
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="customer_name_trgm"),
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="customer_email_trgm"),
            GinIndex(OpClass(Upper("phone"), name="gin_trgm_ops"), name="customer_phone_trgm"),
        ]

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
    # Who answers (conversations/services/handoff.py changes these two, under the row lock).
    handling = models.CharField(max_length=20, choices=Handling.choices, default=Handling.BOT, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
        help_text="The operator holding the conversation (handling `assigned`).",
    )

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
        indexes = [
            # The inbox's search by any words a message holds (see Customer's indexes).
            GinIndex(OpClass(Upper("content"), name="gin_trgm_ops"), name="message_content_trgm"),
        ]
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


class ConversationRead(models.Model):
    """How far an operator has read a conversation: their unread count is the customer's
    messages after `last_read_seq`. One row per operator and conversation, moved forward only."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_seq = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "conversation"], name="conversation_read_unique")]

    def __str__(self):
        return f"{self.user_id} read {self.conversation_id} to {self.last_read_seq}"


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


class Handoff(TimeStampedModel):
    """One time a person was asked for, from the request to its resolution (and the customer's
    rating of it). At most one is open per conversation; its times are what the dashboard's
    first-response time and time to resolve are measured from."""

    id = models.CharField(primary_key=True, max_length=32, default=new_handoff_id, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="handoffs")
    reason = models.CharField(max_length=32, choices=HandoffReason.choices)
    requested_by = models.CharField(max_length=16, help_text="customer, operator or system")
    requested_at = models.DateTimeField()
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="handoffs"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Asked for outside shop hours: the answer also goes to `notify_email` when there is one.
    after_hours = models.BooleanField(default=False)
    notify_email = models.EmailField(blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1-5, given after it was resolved.")
    rating_comment = models.TextField(blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"], condition=models.Q(resolved_at=None), name="handoff_one_open_per_conversation"
            ),
            models.CheckConstraint(
                condition=models.Q(rating=None) | models.Q(rating__gte=1, rating__lte=5), name="handoff_rating_1_5"
            ),
        ]

    def __str__(self):
        return f"{self.id} ({self.conversation_id})"


class HandoffTransition(models.Model):
    """The audit trail: every change of a conversation's handling, who made it, and when."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, choices=Handling.choices)
    to_state = models.CharField(max_length=20, choices=Handling.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_kind = models.CharField(max_length=16)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The operator holding it afterwards.",
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["handoff", "created_at", "pk"]

    def __str__(self):
        return f"{self.handoff_id}: {self.from_state} → {self.to_state}"


class ConversationNote(TimeStampedModel):
    """An operator's internal note on a conversation: never a message, never shown to the customer."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    content = models.TextField()

    class Meta:
        ordering = ["conversation", "created_at", "pk"]

    def __str__(self):
        return f"note {self.pk} on {self.conversation_id}"


class SavedReply(TimeStampedModel):
    """A reply operators insert and edit before sending. `body` may use {{ customer.name }},
    {{ customer.email }}, {{ order.number }}, {{ order.status }}, {{ part.psNumber }},
    {{ part.name }}, {{ operator.name }} and {{ shop.name }}; anything else renders empty."""

    title = models.CharField(max_length=80, unique=True)
    body = models.TextField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "saved replies"

    def __str__(self):
        return self.title


class WhatsAppContact(TimeStampedModel):
    """A WhatsApp number that wrote to the shop: the customer it is (keyed by E.164), when it last
    wrote (the 24-hour customer-service window runs from there) and whether it said STOP."""

    phone = models.CharField(max_length=20, unique=True, help_text="E.164")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="whatsapp_contacts")
    profile_name = models.CharField(max_length=200, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True, help_text="Sent STOP: no more alerts.")

    def __str__(self):
        return self.phone


class WhatsAppEvent(TimeStampedModel):
    """One inbound message or status callback from the webhook, stored once (Meta retries)."""

    # "message:<wamid>" or "status:<wamid>:<status>": unique, so a retried delivery is a no-op.
    key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=16, choices=WhatsAppEventKind.choices)
    wamid = models.CharField(max_length=200, db_index=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164 of the customer's number")
    payload = models.JSONField(default=dict)
    occurred_at = models.DateTimeField(null=True, blank=True, help_text="Meta's timestamp")
    status = models.CharField(max_length=16, choices=InboundEventStatus.choices, default=InboundEventStatus.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    leased_until = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="whatsapp_event_due")]

    def __str__(self):
        return self.key


class WhatsAppMessage(TimeStampedModel):
    """One message the Cloud API accepted from us (its `wamid`), and what its status callbacks said."""

    wamid = models.CharField(max_length=200, unique=True)
    to = models.CharField(max_length=20, help_text="E.164")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="whatsapp_messages"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="whatsapp_messages"
    )
    delivery_key = models.CharField(max_length=200, blank=True, help_text="The outbox delivery that sent it.")
    body = models.JSONField(default=dict, help_text="What was sent (text, interactive or template).")
    status = models.CharField(max_length=16, choices=WhatsAppSendStatus.choices, default=WhatsAppSendStatus.ACCEPTED)
    status_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.wamid} ({self.status})"
