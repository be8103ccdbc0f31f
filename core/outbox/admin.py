"""The outbox in the admin: every delivery, its attempts, and "send again"."""

from django.contrib import admin, messages

from core.admin import ModelAdmin, ReadOnlyAdminMixin, TabularInline, pretty_json
from core.outbox.models import OutboundAttempt, OutboundDelivery
from core.outbox.services import deliveries_resend


class OutboundAttemptInline(ReadOnlyAdminMixin, TabularInline):
    model = OutboundAttempt
    fields = ("number", "status", "started_at", "finished_at", "status_code", "error", "request_pretty")
    readonly_fields = fields
    extra = 0

    @admin.display(description="sent")
    def request_pretty(self, obj):
        return pretty_json(obj.request) if obj.request is not None else "—"


@admin.register(OutboundDelivery)
class OutboundDeliveryAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("id", "kind", "key", "status", "attempts", "next_attempt_at", "sent_at", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("key", "external_id")
    exclude = ("payload",)
    readonly_fields = ("payload_pretty",)
    inlines = (OutboundAttemptInline,)
    actions = ["resend"]

    @admin.display(description="payload")
    def payload_pretty(self, obj):
        return pretty_json(obj.payload)

    @admin.action(description="Send the selected deliveries again")
    def resend(self, request, queryset):
        count = deliveries_resend(delivery_ids=list(queryset.values_list("pk", flat=True)))
        skipped = queryset.count() - count
        note = f" ({skipped} in flight, or sent and not to be repeated, left alone)" if skipped else ""
        self.message_user(request, f"{count} deliveries queued to be sent again{note}.", messages.SUCCESS)
