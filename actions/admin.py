"""Actions, their audit trail and the replies they caused.

The lifecycle is driven by services (every change is a recorded transition), so the admin
shows it and never edits it; operator decisions will be admin actions calling the service.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template import TemplateSyntaxError, engines
from django.template.defaultfilters import truncatechars

from actions.enums import ActionStatus
from actions.models import Action, ActionResponse, ActionTransition, ResponseTemplate
from actions.services.feedback import action_feedback_apply
from core.admin import ModelAdmin, ReadOnlyAdminMixin, TabularInline, admin_link, pretty_json
from core.exceptions import ApplicationError


class ActionTransitionInline(ReadOnlyAdminMixin, TabularInline):
    model = ActionTransition
    fields = ("created_at", "from_status", "to_status", "actor_kind", "actor", "note")
    readonly_fields = fields
    ordering = ("created_at", "id")
    extra = 0


class DeliveryColumns:
    """How a response is being sent, from its outbox delivery (where "send again" lives)."""

    @admin.display(description="delivery", ordering="delivery__status")
    def delivery_status(self, obj):
        delivery = obj.delivery
        if delivery is None:
            return "—"
        label = f"{delivery.get_status_display()} ({delivery.attempts} attempt{'s' if delivery.attempts != 1 else ''})"
        return admin_link("admin:core_outbounddelivery_change", delivery.pk, label)

    @admin.display(description="last error")
    def delivery_error(self, obj):
        return obj.delivery.last_error if obj.delivery else ""

    @admin.display(description="sent at")
    def delivery_sent_at(self, obj):
        return obj.delivery.sent_at if obj.delivery else None


class ActionResponseInline(DeliveryColumns, ReadOnlyAdminMixin, TabularInline):
    model = ActionResponse
    fields = ("created_at", "outcome", "channel", "delivery_status", "text", "delivery_error", "delivery_sent_at")
    readonly_fields = fields
    ordering = ("created_at",)
    extra = 0
    show_change_link = True


@admin.register(Action)
class ActionAdmin(ModelAdmin):
    list_display = (
        "id",
        "type",
        "label",
        "style",
        "status",
        "enabled",
        "conversation_link",
        "decided_by",
        "created_at",
    )
    list_filter = ("status", "type", "style", "enabled", "requires_confirmation", "created_at")
    list_select_related = ("decided_by",)
    search_fields = ("id", "type", "label", "conversation__id", "message__id")
    date_hierarchy = "created_at"
    raw_id_fields = ("conversation", "message")
    fieldsets = (
        (None, {"fields": ("id", "conversation_link", "message", "type", "label", "style")}),
        ("Payload", {"fields": ("payload_pretty", "requires_confirmation")}),
        ("Status", {"fields": ("status", "enabled", "error", "result_pretty")}),
        ("Decision", {"fields": ("decided_by", "decided_at", "decision_note")}),
        ("Audit", {"fields": ("created_at", "updated_at")}),
    )
    readonly_fields = (
        "id",
        "conversation_link",
        "message",
        "type",
        "label",
        "style",
        "payload_pretty",
        "requires_confirmation",
        "status",
        "enabled",
        "error",
        "result_pretty",
        "decided_by",
        "decided_at",
        "decision_note",
        "created_at",
        "updated_at",
    )
    inlines = (ActionTransitionInline, ActionResponseInline)
    actions = ("approve_selected", "deny_selected")

    def has_add_permission(self, request):
        # Actions come from the assistant's replies, through the rules that validate them.
        return False

    # --- operator decisions: the same service as the inbox and the REST API -------------

    def _decide(self, request, queryset, decision: str) -> None:
        done, refused = 0, []
        for action in queryset.select_related("conversation"):
            try:
                action_feedback_apply(action=action, decision=decision, operator=request.user)
            except ApplicationError as exc:
                refused.append(f"{action.id}: {exc.detail}")
            else:
                done += 1
        verb = "approved" if decision == ActionStatus.APPROVED else "denied"
        if done:
            self.message_user(request, f"{done} action(s) {verb}; the customers are being told.", messages.SUCCESS)
        for line in refused[:20]:
            self.message_user(request, f"Not {verb}: {line}", messages.WARNING)

    @admin.action(description="Approve selected pending actions", permissions=["decide"])
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, ActionStatus.APPROVED)

    @admin.action(description="Deny selected pending actions", permissions=["decide"])
    def deny_selected(self, request, queryset):
        self._decide(request, queryset, ActionStatus.DENIED)

    change_form_template = "admin/actions/action/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The change page of a pending action has Approve / Deny (with a reply) under it."""
        decision = {"_approve": ActionStatus.APPROVED, "_deny": ActionStatus.DENIED}
        chosen = next((value for key, value in decision.items() if key in request.POST), None)
        if request.method == "POST" and chosen:
            if not self.has_decide_permission(request):
                raise PermissionDenied
            action = self.get_object(request, object_id)
            if action is None:
                return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
            try:
                action_feedback_apply(
                    action=action,
                    decision=chosen,
                    operator=request.user,
                    reply_text=request.POST.get("_reply_text", "")[:2000],
                )
            except ApplicationError as exc:
                self.message_user(request, f"Not applied: {exc.detail}", messages.ERROR)
            else:
                self.message_user(request, f"{action.id} {chosen}; the customer is being told.", messages.SUCCESS)
            return HttpResponseRedirect(request.path)
        extra_context = extra_context or {}
        obj = self.get_object(request, object_id)
        extra_context["can_decide"] = (
            obj is not None and obj.status == ActionStatus.PENDING_APPROVAL and self.has_decide_permission(request)
        )
        return super().change_view(request, object_id, form_url, extra_context)

    def has_decide_permission(self, request):
        return request.user.is_active and request.user.is_staff and self.has_view_permission(request)

    @admin.display(description="Conversation", ordering="conversation__id")
    def conversation_link(self, obj):
        return admin_link("admin:conversations_conversation_change", obj.conversation_id)

    @admin.display(description="Payload")
    def payload_pretty(self, obj):
        return pretty_json(obj.payload)

    @admin.display(description="Result")
    def result_pretty(self, obj):
        return pretty_json(obj.result)


@admin.register(ActionTransition)
class ActionTransitionAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("action", "from_status", "to_status", "actor_kind", "actor", "note", "created_at")
    list_filter = ("to_status", "from_status", "actor_kind", "created_at")
    list_select_related = ("action", "actor")
    search_fields = ("action__id", "action__type", "note", "actor__username")
    date_hierarchy = "created_at"
    fields = ("action", "from_status", "to_status", "actor_kind", "actor", "note", "created_at")
    readonly_fields = fields


@admin.register(ActionResponse)
class ActionResponseAdmin(DeliveryColumns, ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("action", "outcome", "channel", "delivery_status", "short_text", "delivery_sent_at", "created_at")
    list_filter = ("outcome", "channel", "created_at")  # by delivery status: the outbox admin
    list_select_related = ("action", "delivery")
    search_fields = ("action__id", "idempotency_key", "delivery__external_id", "text")
    date_hierarchy = "created_at"
    fields = (
        "action",
        "outcome",
        "channel",
        "delivery_status",
        "text",
        "idempotency_key",
        "delivery_error",
        "delivery_sent_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="Text")
    def short_text(self, obj):
        return truncatechars(obj.text, 80)


TEMPLATE_CONTEXT_HELP = (
    "Django template syntax. Context: "
    "<code>action</code> (the Action: <code>action.type</code>, <code>action.label</code>, "
    "<code>action.status</code>, <code>action.decision_note</code>), "
    "<code>payload</code> (the action's payload, e.g. <code>payload.psNumber</code>, <code>payload.order_number</code>), "
    "<code>changes</code> (what an edit changed, e.g. <code>refund of $10.00 of $21.99</code>; empty otherwise), "
    "<code>reply</code> (the operator's note or edited text, may be empty), "
    "<code>customer</code> (<code>customer.name</code>, <code>customer.email</code>). "
    'Example: <code>Hi {{ customer.name|default:"there" }}, your {{ action.label|lower }} was approved.</code>'
)


class ResponseTemplateForm(forms.ModelForm):
    class Meta:
        model = ResponseTemplate
        fields = ("action_type", "outcome", "body", "is_active")
        help_texts = {"body": TEMPLATE_CONTEXT_HELP}
        widgets = {"body": forms.Textarea(attrs={"rows": 8, "cols": 80})}

    def clean_body(self):
        body = self.cleaned_data["body"]
        try:
            engines["django"].from_string(body)
        except TemplateSyntaxError as exc:
            raise forms.ValidationError(f"This is not a valid template: {exc}") from exc
        return body


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(ModelAdmin):
    form = ResponseTemplateForm
    list_display = ("action_type", "outcome", "is_active", "short_body", "updated_at")
    list_filter = ("outcome", "is_active", "action_type")
    list_editable = ("is_active",)
    search_fields = ("action_type", "body")
    readonly_fields = ("created_at", "updated_at")
    fields = ("action_type", "outcome", "body", "is_active", "created_at", "updated_at")

    @admin.display(description="Body")
    def short_body(self, obj):
        return truncatechars(obj.body, 80)
