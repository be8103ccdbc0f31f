"""Plans and bundles and discount codes are edited here; sessions, orders and webhooks are records.

"Plans and bundles" (the PriceBook model) is the subscription price list of seeds/004, not the
parts' prices (those are on each product, in the catalogue)."""

from django.contrib import admin
from django.db import models

from checkout.models import (
    CheckoutSession,
    DiscountCode,
    Order,
    OrderLine,
    PriceBook,
    PriceBookEntry,
    Refund,
    WebhookEvent,
)
from core.admin import ModelAdmin, ReadOnlyAdminMixin, TabularInline, admin_link, pretty_json


def _conversation_link(conversation_id):
    return admin_link("admin:conversations_conversation_change", conversation_id)


# --- Plans and bundles (the price book) ------------------------------------------------

PLANS_HELP = (
    "Subscription plans sold through the chat: email tiers, standalone chat plans and the chat add-on "
    "by email tier, and how an email plan and chat together (a bundle) are priced. One list is active. "
    "Parts are not priced here: a part's price is on its product (Catalogue → Products)."
)


# Payment links are https; say so rather than rely on the form's changing default scheme.
URL_FORMFIELD = {models.URLField: {"assume_scheme": "https"}}


class PriceBookEntryInline(TabularInline):
    model = PriceBookEntry
    formfield_overrides = URL_FORMFIELD
    fields = ("kind", "code", "name", "monthly_price", "stripe_price_id", "payment_link")
    ordering = ("kind", "monthly_price")
    extra = 0


@admin.register(PriceBook)
class PriceBookAdmin(ModelAdmin):
    list_display = (
        "name",
        "currency",
        "is_active",
        "bundle_rule",
        "chat_list_price",
        "bundle_discount_percent",
        "updated_at",
    )
    list_filter = ("is_active", "bundle_rule", "currency")
    search_fields = ("name",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "currency", "is_active"), "description": PLANS_HELP}),
        ("Bundles", {"fields": ("bundle_rule", "chat_list_price", "bundle_discount_percent")}),
        ("Audit", {"fields": ("created_at", "updated_at")}),
    )
    inlines = (PriceBookEntryInline,)
    list_help = PLANS_HELP
    list_before_template = "admin/parley/list_help.html"


@admin.register(PriceBookEntry)
class PriceBookEntryAdmin(ModelAdmin):
    formfield_overrides = URL_FORMFIELD
    list_display = ("price_book", "kind", "code", "name", "monthly_price", "stripe_price_id", "payment_link")
    list_filter = ("kind", "price_book")
    list_select_related = ("price_book",)
    search_fields = ("code", "name", "stripe_price_id", "price_book__name")
    raw_id_fields = ("price_book",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(DiscountCode)
class DiscountCodeAdmin(ModelAdmin):
    list_display = (
        "code",
        "kind",
        "value",
        "currency",
        "valid_from",
        "valid_until",
        "times_used",
        "max_uses",
        "first_time_only",
        "is_active",
    )
    list_filter = ("is_active", "kind", "first_time_only")
    search_fields = ("code",)
    date_hierarchy = "created_at"
    readonly_fields = ("times_used", "created_at", "updated_at")
    fields = (
        "code",
        "kind",
        "value",
        "currency",
        "valid_from",
        "valid_until",
        "max_uses",
        "times_used",
        "first_time_only",
        "is_active",
        "created_at",
        "updated_at",
    )


# --- Sessions and orders ----------------------------------------------------------------


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = (
        "id",
        "status",
        "mode",
        "provider",
        "amount_total",
        "currency",
        "conversation_link",
        "expires_at",
        "completed_at",
        "created_at",
    )
    list_filter = ("status", "provider", "mode", "currency", "created_at")
    search_fields = (
        "id",
        "provider_session_id",
        "idempotency_key",
        "conversation__id",
        "action__id",
        "customer__email",
    )
    date_hierarchy = "created_at"
    raw_id_fields = ("conversation", "action", "customer", "discount_code")
    fields = (
        "id",
        "status",
        "mode",
        "provider",
        "provider_session_id",
        "idempotency_key",
        "conversation_link",
        "action",
        "customer",
        "currency",
        "subtotal",
        "discount_total",
        "amount_total",
        "discount_code",
        "line_items_pretty",
        "url",
        "expires_at",
        "completed_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="Conversation", ordering="conversation__id")
    def conversation_link(self, obj):
        return _conversation_link(obj.conversation_id)

    @admin.display(description="Line items")
    def line_items_pretty(self, obj):
        return pretty_json(obj.line_items)


class OrderLineInline(ReadOnlyAdminMixin, TabularInline):
    model = OrderLine
    fields = ("sku", "name", "product", "quantity", "unit_price", "line_total")
    readonly_fields = fields
    extra = 0


class RefundInline(ReadOnlyAdminMixin, TabularInline):
    model = Refund
    fields = ("id", "amount", "currency", "status", "reason", "provider_refund_id", "from_webhook", "created_at")
    readonly_fields = fields
    extra = 0


MONEY_FIELDS = ("currency", "subtotal", "discount_total", "total", "refunded_total")


@admin.register(Order)
class OrderAdmin(ModelAdmin):
    list_display = (
        "number",
        "status",
        "order_source",
        "total",
        "currency",
        "customer",
        "conversation_link",
        "provider",
        "created_at",
    )
    list_filter = ("status", "order_source", "provider", "currency", "created_at")
    list_select_related = ("customer",)
    search_fields = (
        "number",
        "provider_payment_ref",
        "customer__email",
        "customer__name",
        "conversation__id",
        "checkout_session__id",
        "lines__sku",
    )
    date_hierarchy = "created_at"
    raw_id_fields = ("customer",)
    fieldsets = (
        (None, {"fields": ("number", "status", "order_source")}),
        ("Money", {"fields": MONEY_FIELDS}),
        (
            "Attribution",
            {"fields": ("customer", "conversation_link", "message", "action", "checkout_session")},
        ),
        ("Payment", {"fields": ("provider", "provider_payment_ref")}),
        ("Audit", {"fields": ("created_at", "updated_at")}),
    )
    readonly_fields = (
        "number",
        *MONEY_FIELDS,
        "conversation_link",
        "message",
        "action",
        "checkout_session",
        "provider",
        "provider_payment_ref",
        "created_at",
        "updated_at",
    )
    inlines = (OrderLineInline, RefundInline)

    def has_add_permission(self, request):
        # Orders are created from completed checkouts (webhooks), with a number and lines.
        return False

    @admin.display(description="Conversation", ordering="conversation__id")
    def conversation_link(self, obj):
        return _conversation_link(obj.conversation_id)


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("order", "sku", "name", "quantity", "unit_price", "line_total")
    list_select_related = ("order",)
    search_fields = ("order__number", "sku", "name")
    raw_id_fields = ("order", "product")
    fields = ("order", "product", "sku", "name", "quantity", "unit_price", "line_total")
    readonly_fields = fields


# --- Webhooks -------------------------------------------------------------------------


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("event_id", "provider", "type", "status", "attempts", "processed_at", "created_at")
    list_filter = ("status", "provider", "type", "created_at")
    search_fields = ("event_id", "type", "error")
    date_hierarchy = "created_at"
    fields = (
        "provider",
        "event_id",
        "type",
        "status",
        "attempts",
        "error",
        "processed_at",
        "payload_pretty",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="Payload")
    def payload_pretty(self, obj):
        return pretty_json(obj.payload)
