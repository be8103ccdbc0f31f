"""Agent platforms and their keys are managed here; sessions and idempotency keys are records.

Order events to platforms are in the outbox's admin (kind `acp.order_event`), with "send again"."""

from django.contrib import admin, messages
from django.utils.html import format_html

from agentic.models import AcpCheckoutSession, AgentApiKey, AgentPlatform, IdempotencyRecord
from agentic.services.auth import api_key_issue
from checkout.admin import URL_FORMFIELD
from core.admin import ModelAdmin, ReadOnlyAdminMixin, TabularInline, admin_link, pretty_json
from core.money import from_minor


def _show_key_once(request, platform: AgentPlatform, raw_key: str) -> None:
    messages.warning(
        request,
        format_html(
            "New API key for {}: <code>{}</code> — copy it now, it is not stored and will not be shown again.",
            platform.name,
            raw_key,
        ),
    )


class AgentApiKeyInline(TabularInline):
    model = AgentApiKey
    fields = ("prefix", "label", "is_active", "last_used_at", "created_at")
    readonly_fields = ("prefix", "last_used_at", "created_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # keys are issued by the "Issue a new API key" action, which shows the key once


@admin.register(AgentPlatform)
class AgentPlatformAdmin(ModelAdmin):
    formfield_overrides = URL_FORMFIELD
    list_display = ("name", "slug", "is_active", "webhook_url", "signs_requests", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    inlines = [AgentApiKeyInline]
    actions = ["issue_api_key"]
    fieldsets = (
        (None, {"fields": ("name", "slug", "is_active")}),
        ("Request signing", {"fields": ("signing_secret",)}),
        ("Order webhooks", {"fields": ("webhook_url", "webhook_secret")}),
    )

    @admin.display(boolean=True, description="signs requests")
    def signs_requests(self, obj):
        return bool(obj.signing_secret)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            _, raw_key = api_key_issue(platform=obj, label="first key")
            _show_key_once(request, obj, raw_key)

    @admin.action(description="Issue a new API key (shown once)")
    def issue_api_key(self, request, queryset):
        for platform in queryset:
            _, raw_key = api_key_issue(platform=platform, label=f"issued by {request.user}")
            _show_key_once(request, platform, raw_key)


@admin.register(AcpCheckoutSession)
class AcpCheckoutSessionAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("id", "platform", "status", "currency", "total", "order_link", "created_at")
    list_filter = ("status", "platform", "currency")
    search_fields = ("id", "order__number", "buyer__email")
    exclude = (
        "cart",
        "items",
        "buyer",
        "fulfillment_details",
        "messages",
        "selected_fulfillment_options",
        "discount_codes",
        "capabilities",
        "affiliate_attribution",
        "metadata",
        "authentication_metadata",
        "intent_trace",
    )
    readonly_fields = ("cart_pretty", "request_pretty", "agent_details_pretty")

    @admin.display(description="total")
    def total(self, obj):
        amount = next((t["amount"] for t in (obj.cart or {}).get("totals", []) if t["type"] == "total"), None)
        return "—" if amount is None else str(from_minor(amount, obj.currency))

    @admin.display(description="order")
    def order_link(self, obj):
        return admin_link("admin:checkout_order_change", obj.order_id, obj.order.number if obj.order_id else None)

    @admin.display(description="cart (as last shown)")
    def cart_pretty(self, obj):
        return pretty_json(obj.cart)

    @admin.display(description="what the agent sent")
    def request_pretty(self, obj):
        return pretty_json(
            {
                "items": obj.items,
                "buyer": obj.buyer,
                "fulfillment_details": obj.fulfillment_details,
                "messages": obj.messages,
            }
        )

    @admin.display(description="what the agent chose and told us")
    def agent_details_pretty(self, obj):
        return pretty_json(
            {
                "selected_fulfillment_options": obj.selected_fulfillment_options,
                "discount_codes": obj.discount_codes,
                "capabilities": obj.capabilities,
                "affiliate_attribution": obj.affiliate_attribution,
                "metadata": obj.metadata,
                "authentication_metadata": obj.authentication_metadata,
                "intent_trace": obj.intent_trace,
            }
        )


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("key", "platform", "path", "in_flight", "response_status", "created_at")
    list_filter = ("in_flight", "response_status", "platform")
    search_fields = ("key", "path")
    exclude = ("response_body", "response_headers")
    readonly_fields = ("response_pretty",)

    @admin.display(description="response kept for a retry")
    def response_pretty(self, obj):
        return pretty_json({"headers": obj.response_headers, "body": obj.response_body})
