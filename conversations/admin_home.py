"""The admin for the shop's owner: a sidebar grouped by job and a landing page.

Wired in `settings.UNFOLD` (django-unfold): `sidebar_navigation` is the sidebar, `landing_page`
the admin index's context. It lives in conversations, the lowest layer that sees everything it
shows: orders (checkout), action requests (actions), conversations and today's figures (analytics).

Models are named by label. A registered model that no group names is listed under System, so
nothing registered is out of reach (a new app's models appear there until placed); an item is
shown only to someone its admin lets view it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from actions.enums import ActionStatus
from actions.selectors import actions_pending_count
from analytics.selectors.dashboard import day_summary_get
from conversations.enums import InboxView
from conversations.inbox.selectors import conversations_waiting_count
from core.money import money_display


@dataclass(frozen=True)
class Item:
    title: str
    icon: str
    model: str = ""  # "app_label.ModelName": its admin list
    url_name: str = ""  # or a named URL (a page outside the admin)
    query: str = ""  # appended to the link (a filtered list)
    order_by: str = ""  # a column of the list to sort by, ascending
    badge: str = ""  # "pending" | "waiting": a count of what waits for a decision


@dataclass(frozen=True)
class Group:
    title: str
    items: list[Item] = field(default_factory=list)
    collapsible: bool = False


SYSTEM = "System"

SIDEBAR: list[Group] = [
    Group(
        "Sell",
        [
            Item("Orders", "shopping_bag", model="checkout.Order"),
            Item("Conversations", "forum", model="conversations.Conversation"),
            Item("Operator inbox", "support_agent", url_name="operator-inbox", badge="waiting"),
            Item(
                "Action requests",
                "approval",
                model="actions.Action",
                query=f"?status__exact={ActionStatus.PENDING_APPROVAL}",
                badge="pending",
            ),
            Item("Customers", "person", model="conversations.Customer"),
            Item("Handoffs to a person", "front_hand", model="conversations.Handoff"),
            Item("Checkout sessions", "shopping_cart", model="checkout.CheckoutSession"),
            Item("Agent checkouts (ACP)", "smart_toy", model="agentic.AcpCheckoutSession"),
        ],
    ),
    Group(
        "Catalogue",
        [
            Item("Products", "inventory_2", model="catalog.Product"),
            Item("Import a catalogue", "upload_file", model="catalog.Product", url_name="admin:catalog_product_import"),
            Item("Stock (lowest first)", "warehouse", model="catalog.Product", order_by="stock_quantity"),
            Item("Appliance models", "kitchen", model="catalog.ApplianceModel"),
            Item("Fits (part ↔ model)", "link", model="catalog.Compatibility"),
            Item("Symptoms", "build", model="catalog.Symptom"),
        ],
    ),
    Group(
        "Alerts",
        [
            Item("Parts people wait for", "hourglass_top", model="alerts.PartAlertSummary"),
            Item("Back-in-stock subscriptions", "notifications", model="alerts.BackInStockSubscription"),
            Item("Pending opt-ins", "mark_email_unread", model="alerts.PendingOptIn"),
            Item("Restock rounds", "autorenew", model="alerts.RestockRound"),
            Item("Notices sent", "outgoing_mail", model="alerts.AlertNotice"),
        ],
    ),
    Group(
        "Reports",
        [
            Item("Dashboard", "monitoring", url_name="analytics-dashboard"),
            Item("Experiment reports", "science", url_name="analytics-experiments"),
            Item("Experiments (set up)", "tune", model="analytics.Experiment"),
        ],
    ),
    Group(
        "Settings",
        [
            Item("Plans and bundles", "sell", model="checkout.PriceBook"),
            Item("Discount codes", "percent", model="checkout.DiscountCode"),
            Item("Shop policies", "policy", model="conversations.ShopPolicy"),
            Item("Saved replies", "quick_phrases", model="conversations.SavedReply"),
            Item("Response templates", "edit_note", model="actions.ResponseTemplate"),
            Item("Agent platforms", "hub", model="agentic.AgentPlatform"),
            Item("Users", "manage_accounts", model="auth.User"),
            Item("Groups", "group", model="auth.Group"),
        ],
    ),
    Group(
        SYSTEM,
        [
            Item("Outbox deliveries", "outbox", model="core.OutboundDelivery"),
            Item("Payment webhooks", "webhook", model="checkout.WebhookEvent"),
            Item("Idempotency records", "fingerprint", model="agentic.IdempotencyRecord"),
            Item("Action transitions", "timeline", model="actions.ActionTransition"),
            Item("Action responses", "reply", model="actions.ActionResponse"),
            Item("Telemetry events", "query_stats", model="analytics.Event"),
            Item("Messages", "chat", model="conversations.Message"),
            Item("Order lines", "list", model="checkout.OrderLine"),
            Item("Plan and add-on prices", "sell", model="checkout.PriceBookEntry"),
            Item("API tokens", "key", model="authtoken.TokenProxy"),
            Item("WhatsApp contacts", "contact_phone", model="conversations.WhatsAppContact"),
            Item("WhatsApp messages", "sms", model="conversations.WhatsAppMessage"),
            Item("WhatsApp events", "webhook", model="conversations.WhatsAppEvent"),
            Item("Login attempts", "lock", model="axes.AccessAttempt"),
            Item("Login failures", "lock_clock", model="axes.AccessFailureLog"),
            Item("Login log", "login", model="axes.AccessLog"),
        ],
        collapsible=True,
    ),
]


def _badge(kind: str) -> int:
    if kind == "pending":
        return actions_pending_count()
    if kind == "waiting":
        return conversations_waiting_count()
    return 0


def _changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _model_admin(label: str):
    try:
        model = apps.get_model(label)
    except LookupError:
        return None, None
    return model, admin.site._registry.get(model)


def _entry(request, item: Item, badges: dict) -> dict | None:
    """An item as unfold wants it, or None when this user may not open it. A model's item opens
    its admin list unless it names a URL of its own (then the model's admin decides who sees it)."""
    if item.model:
        model, model_admin = _model_admin(item.model)
        if model_admin is None or not model_admin.has_view_or_change_permission(request):
            return None
    elif not request.user.is_staff:
        return None
    if item.url_name:
        try:
            link = reverse(item.url_name)
        except NoReverseMatch:  # a page of an app that is not installed
            return None
    else:
        link = _changelist_url(model) + item.query
        columns = list(model_admin.get_list_display(request))
        if item.order_by in columns:  # the admin sorts by column position ("?o=3")
            link += f"?o={columns.index(item.order_by) + 1}"
    entry = {"title": item.title, "icon": item.icon, "link": link}
    if item.badge:
        if item.badge not in badges:
            badges[item.badge] = _badge(item.badge)
        if badges[item.badge]:  # nothing waiting: no badge (unfold shows any value given)
            entry.update(badge=badges[item.badge], badge_variant="warning")
    return entry


def _unplaced_items() -> list[Item]:
    """An item for each registered model no group names, by its plural name."""
    placed = {item.model.lower() for group in SIDEBAR for item in group.items if item.model}
    names = sorted(
        (str(model._meta.verbose_name_plural), model._meta.label)
        for model in admin.site._registry
        if model._meta.label_lower not in placed
    )
    return [Item(name[:1].upper() + name[1:], "table", model=label) for name, label in names]


def sidebar_navigation(request) -> list[dict]:
    """The sidebar for this request (unfold's `SIDEBAR.navigation`): groups of the items this
    user may open; System collapsed (open while one of its pages is shown)."""
    badges: dict[str, int] = {}
    groups = []
    for group in SIDEBAR:
        placed = group.items + (_unplaced_items() if group.title == SYSTEM else [])
        items = [entry for item in placed if (entry := _entry(request, item, badges))]
        groups.append(
            {"title": group.title, "separator": group.collapsible, "collapsible": group.collapsible, "items": items}
        )
    return groups


def _percent(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


def landing_page(request, context: dict) -> dict:
    """The admin index (unfold's `DASHBOARD_CALLBACK`): today's figures and what waits for a
    decision, each linking where it is dealt with."""
    today = timezone.now().date()
    summary = day_summary_get(day=today)
    revenue = [money_display(row["amount"], row["currency"]) for row in summary["revenue"]]
    pending = actions_pending_count()
    waiting = conversations_waiting_count()
    dashboard = reverse("analytics-dashboard")
    today_report = f"{dashboard}?start={today.isoformat()}&end={today.isoformat()}"
    inbox = reverse("operator-inbox")
    context.update(
        title="Today at a glance",
        today=today,
        figures=[
            {"label": "Orders", "value": str(summary["orders"]), "link": today_report},
            {"label": "Revenue", "value": " + ".join(revenue) or "—", "link": today_report},
            {"label": "Conversations", "value": str(summary["conversations"]), "link": today_report},
            {
                "label": "Conversion (chat → payment)",
                "value": _percent(summary["chat_to_payment_percent"]),
                "link": today_report,
            },
        ],
        waiting=[
            {
                "label": "Action requests waiting for approval",
                "count": pending,
                "link": inbox,
                "link_text": "Decide in the inbox",
            },
            {
                "label": "Conversations waiting for a person",
                "count": waiting,
                "link": f"{inbox}?view={InboxView.WAITING}",
                "link_text": "Answer in the inbox",
            },
        ],
        inbox_url=inbox,
        dashboard_url=dashboard,
    )
    return context
