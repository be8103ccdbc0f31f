"""Plans and bundles and discount codes are edited here; sessions, orders and webhooks are records.

"Plans and bundles" (the PriceBook model) is the subscription price list of seeds/004, not the
parts' prices (those are on each product, in the catalogue). Orders move only through services:
fulfilment steps and refunds (with an amount) have their own pages and actions here; payment
status is read-only and nothing is deleted."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from checkout.addresses import address_lines
from checkout.enums import FulfilmentStatus
from checkout.exports import orders_ship_csv_write
from checkout.forms import OrderFulfilmentNoteForm, OrderRefundForm, OrderShipForm
from checkout.models import (
    CheckoutSession,
    DiscountCode,
    FulfilmentEvent,
    Order,
    OrderLine,
    PriceBook,
    PriceBookEntry,
    Refund,
    WebhookEvent,
)
from checkout.selectors import order_payment_events, orders_to_ship
from checkout.services.fulfilment import fulfilment_refusal, order_fulfilment_transition
from checkout.services.refunds import order_refund, refund_refusal
from core.admin import ModelAdmin, ReadOnlyAdminMixin, TabularInline, admin_link, pretty_json
from core.exceptions import ApplicationError
from core.money import money_display


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


class FulfilmentEventInline(ReadOnlyAdminMixin, TabularInline):
    model = FulfilmentEvent
    verbose_name = "fulfilment step"
    verbose_name_plural = "fulfilment history (audit)"
    fields = ("created_at", "from_status", "to_status", "actor_label", "carrier", "tracking_number", "note")
    readonly_fields = fields
    ordering = ("created_at",)
    extra = 0


MONEY_FIELDS = ("currency", "subtotal", "discount_total", "shipping_total", "tax_total", "total", "refunded_total")
# (status, button label, past tense) of the fulfilment actions: each goes through the service.
FULFILMENT_STEPS = (
    (FulfilmentStatus.PACKED, "Mark packed", "packed"),
    (FulfilmentStatus.SHIPPED, "Mark shipped…", "shipped"),
    (FulfilmentStatus.DELIVERED, "Mark delivered", "delivered"),
    (FulfilmentStatus.CANCELLED, "Cancel fulfilment", "cancelled"),
)


@admin.register(Order)
class OrderAdmin(ModelAdmin):
    """Orders are records of money taken: nothing here changes what was paid. Payment status is
    read-only (refunds go through the refund service, with an amount: the Refund… button); the
    parcel moves only through the fulfilment service (the actions and the buttons on an order);
    nothing is deleted."""

    list_display = (
        "number",
        "status",
        "fulfilment_status",
        "total",
        "currency",
        "contact",
        "ship_to",
        "tracking",
        "order_source",
        "created_at",
    )
    list_filter = (
        "fulfilment_status",
        "status",
        "order_source",
        "provider",
        "currency",
        "needs_attention",
        "created_at",
    )
    list_select_related = ("customer",)
    search_fields = (
        "number",
        "provider_payment_ref",
        "contact_email",
        "contact_name",
        "contact_phone",
        "tracking_number",
        "customer__email",
        "customer__name",
        "conversation__id",
        "checkout_session__id",
        "lines__sku",
    )
    date_hierarchy = "created_at"
    actions = ("mark_packed", "mark_shipped", "mark_delivered", "cancel_fulfilment", "packing_list", "export_to_ship")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "number",
                    "status",
                    "fulfilment_status",
                    "order_source",
                    "needs_attention",
                    "attention_reason",
                )
            },
        ),
        ("Customer", {"fields": ("contact_name", "contact_email", "contact_phone", "address_display", "customer")}),
        (
            "Fulfilment",
            {
                "fields": (
                    "fulfilment_buttons",
                    "shipping_option",
                    "carrier",
                    "tracking_number",
                    "tracking_link",
                    "packed_at",
                    "shipped_at",
                    "delivered_at",
                    "cancelled_at",
                )
            },
        ),
        ("Money", {"fields": (*MONEY_FIELDS, "refund_button")}),
        ("Payment", {"fields": ("provider", "provider_payment_ref", "discount_code", "payment_history")}),
        (
            "Attribution",
            {"fields": ("channel", "conversation_link", "message", "action", "checkout_session")},
        ),
        ("Audit", {"fields": ("created_at", "updated_at")}),
    )
    # Everything but the operator's own flag is a record; editing money or status here would lie.
    readonly_fields = tuple(
        name
        for _title, options in fieldsets
        for name in options["fields"]
        if name not in ("needs_attention", "attention_reason")
    )
    inlines = (OrderLineInline, RefundInline, FulfilmentEventInline)

    class Media:
        css = {"all": ("checkout/admin-orders.css",)}

    def has_add_permission(self, request):
        # Orders are created from completed checkouts (webhooks), with a number and lines.
        return False

    def has_delete_permission(self, request, obj=None):
        # An order is the record of a payment: it is refunded or cancelled, never deleted.
        return False

    # --- columns and read-only panels -----------------------------------------------

    @admin.display(description="Contact", ordering="contact_email")
    def contact(self, obj):
        return obj.contact_email or obj.contact_phone or obj.contact_name or "—"

    @admin.display(description="Ship to")
    def ship_to(self, obj):
        address = obj.shipping_address or {}
        return ", ".join(v for v in (address.get("city"), address.get("country")) if v) or "—"

    @admin.display(description="Tracking", ordering="tracking_number")
    def tracking(self, obj):
        if not obj.tracking_number:
            return "—"
        return f"{obj.carrier} {obj.tracking_number}".strip()

    @admin.display(description="Shipping address")
    def address_display(self, obj):
        lines = address_lines(obj.shipping_address or {})
        if not lines:
            return "—"
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    @admin.display(description="Tracking link")
    def tracking_link(self, obj):
        if not obj.tracking_url:
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', obj.tracking_url, obj.tracking_url
        )

    @admin.display(description="Next step")
    def fulfilment_buttons(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        buttons = [
            (reverse("admin:checkout_order_fulfilment", args=[obj.pk, status]), label)
            for status, label, _done in FULFILMENT_STEPS
            if fulfilment_refusal(order=obj, to_status=status) is None
        ]
        if not buttons:
            return f"Nothing to do: {obj.get_fulfilment_status_display().lower()}."
        return format_html_join(" ", '<a class="button parley-button" href="{}">{}</a>', buttons)

    @admin.display(description="Refund")
    def refund_button(self, obj):
        if obj is None or obj.pk is None or refund_refusal(order=obj) is not None:
            return "Nothing left to refund." if obj is not None and obj.pk else "—"
        return format_html(
            '<a class="button parley-button" href="{}">Refund…</a> up to {}',
            reverse("admin:checkout_order_refund", args=[obj.pk]),
            money_display(obj.refundable_amount, obj.currency),
        )

    @admin.display(description="Payment history")
    def payment_history(self, obj):
        events = order_payment_events(order=obj) if obj is not None and obj.pk else []
        if not events:
            return "—"
        rows = (
            (
                reverse("admin:checkout_webhookevent_change", args=[event.pk]),
                f"{event.created_at:%Y-%m-%d %H:%M}",
                event.type,
                event.get_status_display(),
            )
            for event in events
        )
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a> {} ({})', rows)

    @admin.display(description="Conversation", ordering="conversation__id")
    def conversation_link(self, obj):
        return _conversation_link(obj.conversation_id)

    # --- pages: one fulfilment step, a refund -----------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/fulfilment/<str:to_status>/",
                view(self.fulfilment_view),
                name="checkout_order_fulfilment",
            ),
            path("<path:object_id>/refund/", view(self.refund_view), name="checkout_order_refund"),
            *super().get_urls(),
        ]

    def _order_or_404(self, request, object_id):
        order = self.get_object(request, unquote(object_id))
        if order is None:
            raise Http404("No such order.")
        if not self.has_change_permission(request, order):
            raise PermissionDenied
        return order

    def _page(self, request, order, title, form, *, template, extra=None, status=200):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": order,
            "order": order,
            "address": address_lines(order.shipping_address or {}),
            "title": title,
            "form": form,
            "change_url": reverse("admin:checkout_order_change", args=[order.pk]),
            **(extra or {}),
        }
        return TemplateResponse(request, template, context, status=status)

    def fulfilment_view(self, request, object_id, to_status):
        order = self._order_or_404(request, object_id)
        labels = {status: (label.rstrip("…"), done) for status, label, done in FULFILMENT_STEPS}
        if to_status not in labels:
            raise Http404("No such fulfilment step.")
        form_class = OrderShipForm if to_status == FulfilmentStatus.SHIPPED else OrderFulfilmentNoteForm
        form = form_class(request.POST or None)
        refusal = fulfilment_refusal(order=order, to_status=to_status)
        if request.method == "POST" and refusal is None and form.is_valid():
            try:
                order_fulfilment_transition(order=order, to_status=to_status, actor=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                on_fields = {f: m for f, m in (exc.fields or {}).items() if f in form.fields}
                for field, field_messages in on_fields.items():
                    for message in field_messages:
                        form.add_error(field, message)
                if not on_fields:
                    refusal = exc
            else:
                self.message_user(request, f"Order {order.number} marked {labels[to_status][1]}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:checkout_order_change", args=[order.pk]))
        return self._page(
            request,
            order,
            f"{labels[to_status][0]}: order {order.number}",
            form,
            template="admin/checkout/order/fulfilment_step.html",
            extra={"refusal": refusal, "to_status": to_status},
            status=409 if refusal is not None else (400 if request.method == "POST" else 200),
        )

    def refund_view(self, request, object_id):
        order = self._order_or_404(request, object_id)
        form = OrderRefundForm(request.POST or None, initial={"amount": f"{order.refundable_amount:.2f}"})
        refusal = refund_refusal(order=order)
        if request.method == "POST" and refusal is None and form.is_valid():
            try:
                order = order_refund(
                    order=order,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"] or f"Refunded in the admin by {request.user.get_username()}",
                )
            except ApplicationError as exc:
                form.add_error("amount" if "amount" in (exc.fields or {}) else None, exc.detail)
            else:
                self.message_user(
                    request,
                    f"Refunded {money_display(form.cleaned_data['amount'], order.currency)} on order {order.number} "
                    f"({order.get_status_display().lower()}).",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:checkout_order_change", args=[order.pk]))
        return self._page(
            request,
            order,
            f"Refund order {order.number}",
            form,
            template="admin/checkout/order/refund.html",
            extra={
                "refusal": refusal,
                "paid": money_display(order.total, order.currency),
                "refunded": money_display(order.refunded_total, order.currency),
                "refundable": money_display(order.refundable_amount, order.currency),
            },
            status=409 if refusal is not None else (400 if request.method == "POST" else 200),
        )

    # --- list actions -------------------------------------------------------------------

    def _transition_each(self, request, queryset, to_status, done):
        moved, refused = [], []
        for order in queryset.order_by("created_at"):
            try:
                order_fulfilment_transition(order=order, to_status=to_status, actor=request.user)
            except ApplicationError as exc:
                refused.append(f"{order.number}: {exc.detail}")
            else:
                moved.append(order.number)
        if moved:
            self.message_user(request, f"{len(moved)} order(s) marked {done}: {', '.join(moved)}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description="Mark selected orders packed", permissions=["change"])
    def mark_packed(self, request, queryset):
        self._transition_each(request, queryset, FulfilmentStatus.PACKED, "packed")

    @admin.action(description="Mark an order shipped (carrier and tracking)…", permissions=["change"])
    def mark_shipped(self, request, queryset):
        orders = list(queryset[:2])
        if len(orders) != 1:
            self.message_user(request, "Select one order: each parcel has its own tracking number.", messages.WARNING)
            return None
        return HttpResponseRedirect(
            reverse("admin:checkout_order_fulfilment", args=[orders[0].pk, FulfilmentStatus.SHIPPED])
        )

    @admin.action(description="Mark selected orders delivered", permissions=["change"])
    def mark_delivered(self, request, queryset):
        self._transition_each(request, queryset, FulfilmentStatus.DELIVERED, "delivered")

    @admin.action(description="Cancel fulfilment of selected orders (no refund)", permissions=["change"])
    def cancel_fulfilment(self, request, queryset):
        self._transition_each(request, queryset, FulfilmentStatus.CANCELLED, "cancelled")

    @admin.action(description="Packing list of selected orders to ship", permissions=["view"])
    def packing_list(self, request, queryset):
        orders = list(orders_to_ship(queryset=queryset))
        skipped = queryset.count() - len(orders)
        if skipped:
            self.message_user(request, f"{skipped} selected order(s) are not waiting to ship.", messages.WARNING)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Packing list ({len(orders)} order(s))",
            "orders": [(order, address_lines(order.shipping_address or {})) for order in orders],
        }
        return TemplateResponse(request, "admin/checkout/order/packing_list.html", context)

    @admin.action(description="Export selected orders to ship (CSV)", permissions=["view"])
    def export_to_ship(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="orders-to-ship-{timezone.now():%Y%m%d-%H%M}.csv"'
        orders_ship_csv_write(orders=orders_to_ship(queryset=queryset), out=response)
        return response


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
