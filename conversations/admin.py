"""Operators read conversations here; the transcript itself is never edited in the admin."""

from django import forms
from django.contrib import admin
from django.template.defaultfilters import truncatechars

from actions.models import Action
from conversations.models import (
    Conversation,
    ConversationNote,
    Customer,
    Handoff,
    HandoffTransition,
    Message,
    SavedReply,
    ShopPolicy,
    WhatsAppContact,
    WhatsAppEvent,
    WhatsAppMessage,
)
from conversations.services.saved_replies import saved_reply_body_check
from core.admin import ModelAdmin, ReadOnlyAdminMixin, TabularInline, admin_link, pretty_json
from core.exceptions import ApplicationError


class MessageInline(ReadOnlyAdminMixin, TabularInline):
    model = Message
    fields = ("seq", "role", "message_type", "content", "client_message_id", "created_at")
    readonly_fields = fields
    ordering = ("seq",)
    extra = 0
    show_change_link = True


class ActionInline(ReadOnlyAdminMixin, TabularInline):
    model = Action
    fk_name = "conversation"
    fields = ("id", "type", "label", "style", "status", "enabled", "error", "created_at")
    readonly_fields = fields
    ordering = ("created_at",)
    extra = 0
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(ModelAdmin):
    list_display = ("id", "name", "email", "phone", "email_verified", "phone_verified", "user", "created_at")
    list_filter = ("email_verified", "phone_verified", "created_at")
    list_select_related = ("user",)
    search_fields = ("id", "name", "email", "phone", "user__username", "user__email")
    date_hierarchy = "created_at"
    raw_id_fields = ("user",)
    readonly_fields = ("id", "created_at", "updated_at")
    fields = (
        "id",
        "name",
        "email",
        "email_verified",
        "phone",
        "phone_verified",
        "user",
        "created_at",
        "updated_at",
    )


class NoteInline(ReadOnlyAdminMixin, TabularInline):
    """Operators' internal notes (never shown to the customer); written from the inbox."""

    model = ConversationNote
    fields = ("author", "content", "created_at")
    readonly_fields = fields
    extra = 0


@admin.register(Conversation)
class ConversationAdmin(ModelAdmin):
    list_display = (
        "id",
        "customer_link",
        "channel",
        "status",
        "handling",
        "assignee",
        "last_seq",
        "last_message_at",
        "created_at",
    )
    list_filter = ("status", "handling", "channel", "created_at")
    list_select_related = ("customer",)
    search_fields = ("id", "customer__id", "customer__name", "customer__email", "customer__phone")
    date_hierarchy = "created_at"
    raw_id_fields = ("customer",)
    # token_hash is deliberately absent: it is never shown, not even hashed.
    fields = (
        "id",
        "customer",
        "customer_link",
        "channel",
        "status",
        "handling",
        "assignee",
        "context_pretty",
        "last_seq",
        "last_message_at",
        "created_at",
        "updated_at",
    )
    # Who answers changes only through the handoff services (the audit trail, the frames); the
    # context is what the assistant keeps between turns, shown, never edited by hand.
    readonly_fields = (
        "id",
        "customer_link",
        "handling",
        "assignee",
        "context_pretty",
        "last_seq",
        "last_message_at",
        "created_at",
        "updated_at",
    )
    inlines = (MessageInline, ActionInline, NoteInline)

    def has_add_permission(self, request):
        # A conversation needs a token that only its client ever sees: the chat API opens them.
        return False

    @admin.display(description="Customer", ordering="customer__name")
    def customer_link(self, obj):
        return admin_link("admin:conversations_customer_change", obj.customer_id, str(obj.customer))

    @admin.display(description="Context (what the assistant remembers)")
    def context_pretty(self, obj):
        return pretty_json(obj.context)


@admin.register(Message)
class MessageAdmin(ModelAdmin):
    list_display = ("id", "conversation", "seq", "role", "message_type", "short_content", "created_at")
    list_filter = ("role", "message_type", "created_at")
    list_select_related = ("conversation",)
    search_fields = ("id", "conversation__id", "client_message_id", "content")
    date_hierarchy = "created_at"
    fields = (
        "id",
        "conversation",
        "seq",
        "role",
        "message_type",
        "content",
        "parts_pretty",
        "metadata_pretty",
        "client_message_id",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Content")
    def short_content(self, obj):
        return truncatechars(obj.content, 80)

    @admin.display(description="Parts")
    def parts_pretty(self, obj):
        return pretty_json(obj.parts)

    @admin.display(description="Metadata")
    def metadata_pretty(self, obj):
        return pretty_json(obj.metadata)


@admin.register(ShopPolicy)
class ShopPolicyAdmin(ModelAdmin):
    list_display = ("title", "topic", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("title", "topic", "text")


class HandoffTransitionInline(ReadOnlyAdminMixin, TabularInline):
    model = HandoffTransition
    fields = ("created_at", "from_state", "to_state", "actor_kind", "actor", "operator", "note")
    readonly_fields = fields
    extra = 0


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Each time a person was asked for: its times, who handled it, the customer's rating, and
    every change of hands (the audit trail). Changed only by the handoff services."""

    list_display = (
        "id",
        "conversation",
        "reason",
        "operator",
        "requested_at",
        "first_response_at",
        "resolved_at",
        "after_hours",
        "rating",
    )
    list_filter = ("reason", "after_hours", "rating", "requested_at")
    list_select_related = ("operator",)
    search_fields = ("id", "conversation__id", "notify_email", "rating_comment")
    date_hierarchy = "requested_at"
    inlines = (HandoffTransitionInline,)


class SavedReplyForm(forms.ModelForm):
    class Meta:
        model = SavedReply
        fields = ("title", "body", "is_active")

    def clean_body(self):
        body = self.cleaned_data["body"]
        try:
            return saved_reply_body_check(body=body)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.detail) from None


@admin.register(SavedReply)
class SavedReplyAdmin(ModelAdmin):
    """Replies operators insert from the inbox; `{{ customer.name }}`, `{{ order.number }}`,
    `{{ part.psNumber }}`, `{{ part.name }}`, `{{ operator.name }}`, `{{ shop.name }}` are filled in."""

    form = SavedReplyForm
    list_display = ("title", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("title", "body")


@admin.register(WhatsAppContact)
class WhatsAppContactAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("phone", "profile_name", "customer", "last_inbound_at", "opted_out_at")
    search_fields = ("phone", "profile_name", "customer__id", "customer__email")
    list_select_related = ("customer",)


@admin.register(WhatsAppMessage)
class WhatsAppMessageAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """What we sent on WhatsApp and where it stands (Meta's status callbacks)."""

    list_display = ("wamid", "to", "status", "status_at", "error", "conversation", "message", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("wamid", "to", "conversation__id", "message__id", "delivery_key")
    exclude = ("body",)
    readonly_fields = ("body_pretty",)

    @admin.display(description="body")
    def body_pretty(self, obj):
        return pretty_json(obj.body)


@admin.register(WhatsAppEvent)
class WhatsAppEventAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Inbound webhook items, stored once each."""

    list_display = ("key", "kind", "phone", "status", "attempts", "error", "occurred_at", "processed_at")
    list_filter = ("kind", "status", "created_at")
    search_fields = ("key", "wamid", "phone")
    exclude = ("payload",)
    readonly_fields = ("payload_pretty",)

    @admin.display(description="payload")
    def payload_pretty(self, obj):
        return pretty_json(obj.payload)
