"""Telemetry is append-only: the admin is a viewer. Experiments are configured here."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from analytics.enums import ExperimentStatus
from analytics.exceptions import ExperimentInvalid
from analytics.models import Event, Experiment
from analytics.services.experiments import experiment_start, experiment_stop, page_prefixes
from core.admin import ModelAdmin, pretty_json


@admin.register(Event)
class EventAdmin(ModelAdmin):
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
        return pretty_json(obj.properties)


class ExperimentForm(forms.ModelForm):
    class Meta:
        model = Experiment
        fields = ("name", "holdout_percent", "pages", "mde_points")

    def clean_pages(self):
        pages = self.cleaned_data["pages"]
        for prefix in page_prefixes(pages):
            if not prefix.startswith("/") or len(prefix) > 200 or any(c.isspace() for c in prefix):
                raise forms.ValidationError(f"Each line is a path prefix starting with / (not {prefix[:60]!r}).")
        return pages

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.instance.status != ExperimentStatus.DRAFT and self.has_changed():
            # Changing the split or the pages mid-run would mix two experiments in one result.
            raise forms.ValidationError("A started experiment cannot change; create a new one.")
        return cleaned


@admin.register(Experiment)
class ExperimentAdmin(ModelAdmin):
    form = ExperimentForm
    list_display = ("name", "status", "split", "mde_points", "started_at", "stopped_at", "report")
    list_filter = ("status",)
    readonly_fields = ("status", "currency", "started_at", "stopped_at", "report")
    actions = ("start_experiments", "stop_experiments")

    @admin.display(description="Split (chat / holdout)")
    def split(self, obj):
        return f"{100 - obj.holdout_percent} / {obj.holdout_percent}"

    @admin.display(description="Result")
    def report(self, obj):
        if not obj.pk:
            return "-"
        return format_html('<a href="{}?experiment={}">Open the result</a>', reverse("analytics-experiments"), obj.pk)

    def _apply(self, request, queryset, service, done: str):
        for experiment in queryset:
            try:
                service(experiment=experiment)
            except ExperimentInvalid as exc:
                self.message_user(request, f"{experiment}: {exc.detail}", messages.ERROR)
            else:
                self.message_user(request, f"{experiment}: {done}.", messages.SUCCESS)

    @admin.action(description="Start the selected experiment")
    def start_experiments(self, request, queryset):
        self._apply(request, queryset, experiment_start, "running")

    @admin.action(description="Stop the selected experiments")
    def stop_experiments(self, request, queryset):
        self._apply(request, queryset, experiment_stop, "stopped")
