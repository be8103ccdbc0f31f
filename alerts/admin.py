"""Back-in-stock subscriptions (operators may unsubscribe someone) and the notices sent."""

from django.contrib import admin

from alerts.models import AlertNotice, BackInStockSubscription


class ReadOnlyAdminMixin:
    """View only: rows are written by services and are part of an audit trail."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AlertNoticeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AlertNotice
    fields = ("restock_key", "channel", "status", "error", "sent_at", "created_at")
    readonly_fields = fields
    ordering = ("created_at",)
    extra = 0
    show_change_link = True


@admin.register(BackInStockSubscription)
class BackInStockSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("id", "product", "channel", "contact", "status", "confirmed_at", "notified_at", "created_at")
    list_filter = ("status", "channel", "created_at")
    list_select_related = ("product",)
    search_fields = ("id", "contact", "product__ps_number", "conversation__id", "customer__email")
    date_hierarchy = "created_at"
    raw_id_fields = ("product", "customer", "conversation")
    fields = (
        "id",
        "product",
        "channel",
        "contact",
        "status",
        "customer",
        "conversation",
        "confirmed_at",
        "notified_at",
        "unsubscribed_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("id", "confirmed_at", "notified_at", "unsubscribed_at", "created_at", "updated_at")
    inlines = (AlertNoticeInline,)


@admin.register(AlertNotice)
class AlertNoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("subscription", "restock_key", "channel", "status", "sent_at", "created_at")
    list_filter = ("status", "channel", "created_at")
    list_select_related = ("subscription",)
    search_fields = ("subscription__id", "subscription__contact", "subscription__product__ps_number", "restock_key")
    date_hierarchy = "created_at"
    fields = ("subscription", "restock_key", "channel", "status", "error", "sent_at", "created_at", "updated_at")
    readonly_fields = fields
