"""Back-in-stock subscriptions (operators may unsubscribe someone) and the notices sent.

Also: subscriptions by part with counts, pending opt-ins, restock rounds, and the operator
actions "notify now", "send the opt-in again", "unsubscribe" and "re-send failed notices".
"""

from datetime import timedelta

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from alerts.enums import SubscriptionStatus
from alerts.models import AlertNotice, BackInStockSubscription, PartAlertSummary, PendingOptIn, RestockRound
from core.admin import ModelAdmin, ReadOnlyAdminMixin, TabularInline
from core.outbox.enums import DeliveryStatus


class NoticeDeliveryMixin:
    """A notice's sending state is its outbox delivery's; these columns show it."""

    @admin.display(description="status", ordering="delivery__status")
    def status(self, obj):
        return obj.delivery.get_status_display()

    @admin.display(ordering="delivery__attempts")
    def attempts(self, obj):
        return obj.delivery.attempts

    @admin.display(description="error")
    def error(self, obj):
        return obj.delivery.last_error

    @admin.display(description="sent at", ordering="delivery__sent_at")
    def sent_at(self, obj):
        return obj.delivery.sent_at

    @admin.display(description="delivery")
    def delivery_link(self, obj):
        url = reverse("admin:core_outbounddelivery_change", args=[obj.delivery_id])
        return format_html('<a href="{}">{}</a>', url, obj.delivery.key)


class AlertNoticeInline(NoticeDeliveryMixin, ReadOnlyAdminMixin, TabularInline):
    model = AlertNotice
    fields = ("restock_key", "channel", "status", "attempts", "error", "sent_at", "created_at")
    readonly_fields = fields
    ordering = ("created_at",)
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("delivery")


@admin.register(BackInStockSubscription)
class BackInStockSubscriptionAdmin(ModelAdmin):
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
    readonly_fields = (
        "id",
        "confirmed_at",
        "notified_at",
        "unsubscribed_at",
        "confirmation_sent_at",
        "created_at",
        "updated_at",
    )
    inlines = (AlertNoticeInline,)
    actions = ("notify_now", "send_confirmation_again", "unsubscribe")

    @admin.action(description="Notify now (active subscribers of parts in stock)")
    def notify_now(self, request, queryset):
        from alerts.services.notices import alert_notices_notify_now

        queued, skipped = alert_notices_notify_now(subscriptions=queryset)
        self.message_user(request, f"{queued} notice(s) queued.", messages.SUCCESS if queued else messages.INFO)
        if skipped:
            self.message_user(
                request,
                f"{skipped} skipped: not active (pending, told or unsubscribed), part out of stock, "
                "or a notice already on its way.",
                messages.WARNING,
            )

    @admin.action(description="Send the opt-in message again (pending only)")
    def send_confirmation_again(self, request, queryset):
        from alerts.services.confirmations import subscription_confirmation_enqueue

        pending = list(queryset.filter(status=SubscriptionStatus.PENDING).values_list("id", flat=True))
        with transaction.atomic():
            for subscription_id in pending:
                subscription_confirmation_enqueue(subscription_id=subscription_id)
        self.message_user(request, f"{len(pending)} opt-in message(s) queued.")

    @admin.action(description="Unsubscribe")
    def unsubscribe(self, request, queryset):
        from alerts.services.subscriptions import subscription_unsubscribe

        ids = list(queryset.exclude(status=SubscriptionStatus.UNSUBSCRIBED).values_list("id", flat=True))
        for subscription_id in ids:
            subscription_unsubscribe(subscription_id=subscription_id)
        self.message_user(request, f"{len(ids)} subscription(s) unsubscribed.")


@admin.register(PendingOptIn)
class PendingOptInAdmin(BackInStockSubscriptionAdmin):
    """Waiting for the customer to follow the confirmation link (expired after ALERTS_CONFIRM_MAX_AGE_SECONDS)."""

    list_display = ("id", "product", "channel", "contact", "confirmation_sent_at", "link_expired", "created_at")
    list_filter = ("channel", "created_at")
    inlines = ()
    actions = ("send_confirmation_again", "unsubscribe")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=SubscriptionStatus.PENDING)

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description="link expired")
    def link_expired(self, obj):
        from django.conf import settings

        sent = obj.confirmation_sent_at or obj.created_at
        return sent < timezone.now() - timedelta(seconds=settings.ALERTS_CONFIRM_MAX_AGE_SECONDS)


@admin.register(PartAlertSummary)
class PartAlertSummaryAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Parts people are waiting for, most-awaited first, with their stock and last restock round."""

    list_display = (
        "ps_number",
        "name",
        "stock_quantity",
        "waiting",
        "pending_opt_in",
        "told",
        "unsubscribed",
        "last_subscribed_at",
    )
    search_fields = ("ps_number", "name")

    def get_queryset(self, request):
        statuses = SubscriptionStatus
        return (
            super()
            .get_queryset(request)
            .filter(stock_subscriptions__isnull=False)
            .annotate(
                waiting_count=Count("stock_subscriptions", filter=Q(stock_subscriptions__status=statuses.ACTIVE)),
                pending_count=Count("stock_subscriptions", filter=Q(stock_subscriptions__status=statuses.PENDING)),
                told_count=Count("stock_subscriptions", filter=Q(stock_subscriptions__status=statuses.NOTIFIED)),
                unsubscribed_count=Count(
                    "stock_subscriptions", filter=Q(stock_subscriptions__status=statuses.UNSUBSCRIBED)
                ),
                last_subscribed=Max("stock_subscriptions__created_at"),
            )
            .order_by("-waiting_count", "ps_number")
        )

    def has_view_permission(self, request, obj=None):
        return (
            request.user.is_active
            and request.user.is_staff
            and (request.user.has_perm("alerts.view_backinstocksubscription"))
        )

    @admin.display(description="waiting (active)", ordering="waiting_count")
    def waiting(self, obj):
        return obj.waiting_count

    @admin.display(description="pending opt-in", ordering="pending_count")
    def pending_opt_in(self, obj):
        return obj.pending_count

    @admin.display(description="told", ordering="told_count")
    def told(self, obj):
        return obj.told_count

    @admin.display(description="unsubscribed", ordering="unsubscribed_count")
    def unsubscribed(self, obj):
        return obj.unsubscribed_count

    @admin.display(description="last subscribed", ordering="last_subscribed")
    def last_subscribed_at(self, obj):
        return obj.last_subscribed


@admin.register(RestockRound)
class RestockRoundAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = (
        "restock_key",
        "status",
        "started_quantity",
        "waves",
        "sent",
        "pending",
        "failed",
        "cancelled",
        "next_wave_at",
        "close_reason",
        "created_at",
    )
    list_filter = ("status", "trigger", "close_reason", "created_at")
    list_select_related = ("product",)
    search_fields = ("restock_key", "product__ps_number")
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        def count(*statuses):
            return Count("notices", filter=Q(notices__delivery__status__in=statuses))

        return (
            super()
            .get_queryset(request)
            .annotate(
                sent_count=count(DeliveryStatus.SENT),
                pending_count=count(DeliveryStatus.PENDING, DeliveryStatus.SENDING),
                failed_count=count(DeliveryStatus.FAILED),
                cancelled_count=count(DeliveryStatus.CANCELLED),
            )
        )

    @admin.display(ordering="sent_count")
    def sent(self, obj):
        return obj.sent_count

    @admin.display(description="pending / sending", ordering="pending_count")
    def pending(self, obj):
        return obj.pending_count

    @admin.display(ordering="failed_count")
    def failed(self, obj):
        return obj.failed_count

    @admin.display(ordering="cancelled_count")
    def cancelled(self, obj):
        return obj.cancelled_count


@admin.register(AlertNotice)
class AlertNoticeAdmin(NoticeDeliveryMixin, ReadOnlyAdminMixin, ModelAdmin):
    """Notice history: who was told about which restock, on which channel, and what happened
    (the sending state is the notice's outbox delivery, linked; its attempts are listed there)."""

    list_display = ("subscription", "restock_key", "channel", "status", "attempts", "sent_at", "created_at")
    list_filter = ("delivery__status", "channel", "created_at")
    list_select_related = ("subscription", "delivery")
    search_fields = ("subscription__id", "subscription__contact", "subscription__product__ps_number", "restock_key")
    date_hierarchy = "created_at"
    fields = (
        "subscription",
        "restock_key",
        "round",
        "channel",
        "status",
        "attempts",
        "error",
        "delivery_link",
        "message",
        "action",
        "sent_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("resend_failed",)

    @admin.action(description="Re-send failed notices (subscriber still waiting, part in stock)")
    def resend_failed(self, request, queryset):
        from alerts.services.notices import alert_notices_resend

        queued, skipped = alert_notices_resend(since=None, notices=queryset)
        self.message_user(request, f"{queued} notice(s) queued again; {skipped} skipped.")
