"""The admin for the shop's owner: the sidebar grouped by job, the landing page, the JSON panels."""

import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth.models import Permission
from django.db import models
from django.urls import reverse

from actions.enums import ActionStatus
from actions.tests.factories import ActionFactory
from catalog.models import Product
from checkout.tests.factories import OrderFactory
from conversations.admin_home import SYSTEM, sidebar_navigation
from conversations.enums import Handling
from conversations.models import Conversation
from conversations.tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_superuser("owner", "owner@example.com", "owner-pw-93817")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def _request(rf, user):
    request = rf.get("/admin/")
    request.user = user
    return request


def _links(groups) -> dict[str, list[str]]:
    return {group["title"]: [item["link"] for item in group["items"]] for group in groups}


def test_the_sidebar_groups_the_admin_by_job_with_the_internals_collapsed(rf, owner):
    groups = sidebar_navigation(_request(rf, owner))
    assert [g["title"] for g in groups] == ["Sell", "Catalogue", "Alerts", "Reports", "Settings", SYSTEM]
    links = _links(groups)
    assert reverse("admin:checkout_order_changelist") in links["Sell"]
    assert reverse("operator-inbox") in links["Sell"]
    assert reverse("analytics-dashboard") in links["Reports"]
    assert reverse("analytics-experiments") in links["Reports"]
    assert reverse("admin:checkout_pricebook_changelist") in links["Settings"]
    for internal in (
        "agentic_idempotencyrecord",
        "checkout_webhookevent",
        "actions_actiontransition",
        "core_outbounddelivery",
    ):
        assert reverse(f"admin:{internal}_changelist") in links[SYSTEM]
    system = groups[-1]
    assert system["collapsible"] is True and not any(g["collapsible"] for g in groups[:-1])
    titles = [item["title"] for group in groups for item in group["items"]]
    assert "Plans and bundles" in titles and "Price books" not in titles


def test_every_registered_model_is_reachable_from_the_sidebar(rf, owner):
    """A model no group names (a new app's) is listed under System rather than lost."""
    links = {
        link.split("?")[0]
        for group in sidebar_navigation(_request(rf, owner))
        for link in _links([group])[group["title"]]
    }
    for model in admin.site._registry:
        assert reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") in links, model._meta.label


def test_an_operator_sees_only_what_they_may_open(rf, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="clerk-pw-12345", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_order"))
    groups = sidebar_navigation(_request(rf, django_user_model.objects.get(pk=clerk.pk)))
    links = _links(groups)
    assert links["Sell"] == [reverse("admin:checkout_order_changelist"), reverse("operator-inbox")]
    assert links["Catalogue"] == [] and links["Settings"] == [] and links[SYSTEM] == []


def test_the_stock_link_sorts_products_by_stock(rf, owner):
    catalogue = next(g for g in sidebar_navigation(_request(rf, owner)) if g["title"] == "Catalogue")
    stock = next(item for item in catalogue["items"] if item["title"].startswith("Stock"))
    column = admin.site._registry[Product].get_list_display(None).index("stock_quantity") + 1
    assert stock["link"] == reverse("admin:catalog_product_changelist") + f"?o={column}"


def test_the_landing_page_shows_today_and_what_waits_for_a_decision(owner_client):
    ActionFactory(status=ActionStatus.PENDING_APPROVAL)  # its refund_request is for a paid order of today, $49.98
    OrderFactory(total="20.00")
    waiting = ConversationFactory()
    Conversation.objects.filter(pk=waiting.pk).update(handling=Handling.WAITING_FOR_HUMAN)

    response = owner_client.get(reverse("admin:index"))
    assert response.status_code == 200
    text = response.text
    figures = re.sub(r"\s+", " ", text[text.index('id="parley-figures"') : text.index('id="parley-waiting"')])
    assert 'Orders</span> <span class="parley-figure__value">2</span>' in figures
    assert "$69.98" in figures
    assert "Conversations" in figures and "Conversion (chat → payment)" in figures
    waiting_list = re.sub(r"\s+", " ", text[text.index('id="parley-waiting-list"') :])
    assert (
        '<span class="parley-waiting__count">1</span> <span class="parley-waiting__label">Action requests'
        in waiting_list
    )
    assert f'href="{reverse("operator-inbox")}?view=waiting"' in waiting_list
    # the sidebar badges what waits, in the theme's page
    assert "Operator inbox" in text and "Plans and bundles" in text


def test_the_inbox_opens_on_the_view_the_landing_page_links_to(owner_client):
    assert 'data-default-view="waiting"' in owner_client.get(reverse("operator-inbox") + "?view=waiting").text
    assert 'data-default-view="open"' in owner_client.get(reverse("operator-inbox") + "?view=<nope>").text


def test_the_conversation_context_is_a_read_only_panel(owner_client):
    conversation = ConversationFactory()
    Conversation.objects.filter(pk=conversation.pk).update(context={"psNumber": "PS11750057", "note": "<b>x</b>"})
    url = reverse("admin:conversations_conversation_change", args=[conversation.pk])
    text = owner_client.get(url).text
    assert 'name="context"' not in text
    assert '<pre class="parley-json">' in text and "&quot;psNumber&quot;: &quot;PS11750057&quot;" in text
    assert "<b>x</b>" not in text  # escaped


# JSON fields an owner edits on purpose (lists of phrases and steps, an address); every other
# JSON field is shown read-only as a panel or not at all.
EDITABLE_JSON = {
    "catalog.product": {"install_steps", "install_tools"},
    "catalog.symptom": {"keywords"},
    "conversations.shoppolicy": {"questions"},
    "checkout.order": {"shipping_address"},
    "alerts.partalertsummary": {"install_steps", "install_tools"},  # a read-only view of products
}


def test_no_admin_shows_raw_json_but_the_lists_owners_edit(rf, owner):
    request = _request(rf, owner)
    for model, model_admin in admin.site._registry.items():
        for name in flatten_fieldsets(model_admin.get_fieldsets(request, None)):
            try:
                field = model._meta.get_field(name)
            except Exception:
                continue  # a display method (the *_pretty panels)
            if isinstance(field, models.JSONField):
                assert name in EDITABLE_JSON.get(model._meta.label_lower, set()), f"{model._meta.label}.{name}"
