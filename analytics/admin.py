"""Telemetry is append-only: the admin is a viewer."""

import json

from django.contrib import admin
from django.utils.html import format_html

from analytics.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "source",
        "occurred_at",
        "conversation_id",
        "action_type",
        "ps_number",
        "model_number",
        "intent",
    )
    list_filter = ("name", "source", "occurred_at")
    search_fields = ("event_id", "conversation_id", "ps_number", "model_number", "action_type", "intent")
    date_hierarchy = "occurred_at"
    ordering = ("-occurred_at", "-id")
    fields = (
        "event_id",
        "name",
        "source",
        "occurred_at",
        "received_at",
        "conversation_id",
        "action_type",
        "ps_number",
        "model_number",
        "intent",
        "properties_pretty",
    )
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Properties")
    def properties_pretty(self, obj):
        return format_html(
            '<pre class="parley-json">{}</pre>', json.dumps(obj.properties, indent=2, sort_keys=True, default=str)
        )
