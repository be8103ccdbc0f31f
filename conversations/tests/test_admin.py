"""Every admin page an operator opens: changelists, change pages, search, filters, view-only refusals.

Rows are created with plain ORM calls so these tests depend on nothing but the models.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, quote
from django.urls import reverse
from django.utils import timezone

from actions.models import Action, ActionResponse, ActionTransition, ResponseTemplate
from alerts.models import AlertNotice, BackInStockSubscription
from analytics.models import Event
from catalog.models import Product
from checkout.models import (
    CheckoutSession,
    DiscountCode,
    Order,
    OrderLine,
    PriceBook,
    PriceBookEntry,
    WebhookEvent,
)
from conversations.models import Conversation, Customer, Handoff, HandoffTransition, Message, SavedReply
from core.outbox.models import OutboundDelivery

pytestmark = pytest.mark.django_db

TOKEN_HASH = "f" * 24 + "0123456789abcdef" * 2 + "e" * 8


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-tests")


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def rows(superuser):
    """One row of every model, linked together the way the services would link them."""
    product = Product.objects.create(
        ps_number="PS11750057",
        name="Dishwasher Upper Rack Adjuster",
        brand="Whirlpool",
        appliance_type="dishwasher",
        price=Decimal("34.99"),
        stock_quantity=0,
    )
    customer = Customer.objects.create(name="Ada", email="ada@example.com")
    conversation = Conversation.objects.create(
        customer=customer, token_hash=TOKEN_HASH, last_seq=2, context={"psNumber": "PS11750057"}
    )
    user_message = Message.objects.create(
        conversation=conversation, seq=1, role="user", content="Is PS11750057 compatible with my WDT780SAEM1?"
    )
    reply = Message.objects.create(
        conversation=conversation,
        seq=2,
        role="assistant",
        content="PS11750057 is compatible with WDT780SAEM1.",
        parts=[{"type": "product_card", "psNumber": "PS11750057", "name": "<b>rack</b>"}],
    )
    action = Action.objects.create(
        conversation=conversation,
        message=reply,
        type="checkout_now",
        label="Checkout now",
        style="primary",
        payload={"psNumber": "PS11750057", "quantity": 1},
        requires_confirmation=True,
        status="rendered",
    )
    transition = ActionTransition.objects.create(action=action, from_status="proposed", to_status="rendered")
    response = ActionResponse.objects.create(
        action=action, outcome="approved", text="Approved!", channel="web", idempotency_key="resp-1"
    )
    template = ResponseTemplate.objects.create(action_type="*", outcome="approved", body="Hi {{ customer.name }}")
    book = PriceBook.objects.create(name="SaaS plans")
    entry = PriceBookEntry.objects.create(
        price_book=book, kind="email_plan", code="starter", name="Starter", monthly_price=Decimal("20.00")
    )
    discount = DiscountCode.objects.create(code="WELCOME10", kind="percent", value=Decimal("10"))
    session = CheckoutSession.objects.create(
        conversation=conversation,
        action=action,
        customer=customer,
        provider="test",
        idempotency_key="chk-1",
        currency="USD",
        subtotal=Decimal("34.99"),
        amount_total=Decimal("34.99"),
        line_items=[{"sku": "PS11750057", "quantity": 1}],
        expires_at=timezone.now() + timedelta(minutes=30),
    )
    order = Order.objects.create(
        number="PRL-000001",
        checkout_session=session,
        customer=customer,
        conversation=conversation,
        action=action,
        order_source="conversational",
        currency="USD",
        subtotal=Decimal("34.99"),
        total=Decimal("34.99"),
        provider="test",
    )
    line = OrderLine.objects.create(
        order=order,
        product=product,
        sku="PS11750057",
        name=product.name,
        quantity=1,
        unit_price=Decimal("34.99"),
        line_total=Decimal("34.99"),
    )
    webhook = WebhookEvent.objects.create(
        provider="stripe",
        event_id="evt_1",
        type="checkout.session.completed",
        payload={"id": "evt_1", "data": {"object": {"note": "<script>alert(1)</script>"}}},
    )
    subscription = BackInStockSubscription.objects.create(
        product=product, customer=customer, conversation=conversation, channel="email", contact="ada@example.com"
    )
    notice = AlertNotice.objects.create(
        subscription=subscription,
        restock_key="restock-1",
        channel="email",
        delivery=OutboundDelivery.objects.create(kind="alerts.notice", key="alert-restock-1"),
    )
    handoff = Handoff.objects.create(
        conversation=conversation,
        reason="customer_asked",
        requested_by="customer",
        requested_at=timezone.now(),
        operator=superuser,
        resolved_at=timezone.now(),
        rating=4,
    )
    HandoffTransition.objects.create(
        handoff=handoff, from_state="bot", to_state="waiting_for_human", actor_kind="customer"
    )
    saved_reply = SavedReply.objects.create(title="Greeting", body="Hi {{ customer.name }}")
    event = Event.objects.create(
        event_id="ev-1",
        name="action_rendered",
        occurred_at=timezone.now(),
        conversation_id=conversation.id,
        action_type="checkout_now",
        ps_number="PS11750057",
    )
    return {
        "customer": customer,
        "conversation": conversation,
        "message": user_message,
        "reply": reply,
        "action": action,
        "transition": transition,
        "response": response,
        "template": template,
        "book": book,
        "entry": entry,
        "discount": discount,
        "session": session,
        "order": order,
        "line": line,
        "webhook": webhook,
        "subscription": subscription,
        "notice": notice,
        "event": event,
        "product": product,
        "handoff": handoff,
        "saved_reply": saved_reply,
    }


OUR_MODELS = [
    Customer,
    Conversation,
    Message,
    Action,
    ActionTransition,
    ActionResponse,
    ResponseTemplate,
    PriceBook,
    PriceBookEntry,
    DiscountCode,
    CheckoutSession,
    Order,
    OrderLine,
    WebhookEvent,
    BackInStockSubscription,
    AlertNotice,
    Event,
    Handoff,
    SavedReply,
]

VIEW_ONLY = [
    ActionTransition,
    ActionResponse,
    WebhookEvent,
    AlertNotice,
    Event,
    CheckoutSession,
    OrderLine,
    Message,
    Handoff,
]
NO_ADD = [*VIEW_ONLY, Conversation, Action, Order]


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=[quote(a) for a in args])


def test_every_model_is_registered():
    for model in OUR_MODELS:
        assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m.__name__)
def test_changelist_empty(staff_client, model):
    response = staff_client.get(_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m.__name__)
def test_changelist_and_change_page_with_rows(staff_client, rows, model):
    response = staff_client.get(_url(model, "changelist"))
    assert response.status_code == 200
    obj = model.objects.first()
    assert obj is not None
    assert f"1 {model._meta.verbose_name}".lower() in response.text.lower() or str(obj.pk) in response.text
    response = staff_client.get(_url(model, "change", obj.pk))
    assert response.status_code == 200


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m.__name__)
def test_search_and_filters_do_not_error(staff_client, rows, model):
    model_admin = admin.site._registry[model]
    url = _url(model, "changelist")
    assert staff_client.get(url, {"q": "PS11750057"}).status_code == 200
    assert staff_client.get(url, {"q": "nothing-matches-this"}).status_code == 200
    for list_filter in model_admin.list_filter:
        field = get_fields_from_path(model, list_filter)[-1]  # "delivery__status": across a relation
        if field.get_internal_type() == "DateTimeField":
            params = {f"{list_filter}__gte": (timezone.now() - timedelta(days=7)).isoformat()}
        elif field.get_internal_type() == "BooleanField":
            params = {f"{list_filter}__exact": "1"}
        elif field.is_relation:
            params = {f"{list_filter}__id__exact": str(model.objects.values_list(list_filter, flat=True).first())}
        else:
            value = model.objects.values_list(list_filter, flat=True).first()
            params = {f"{list_filter}__exact": value}
        response = staff_client.get(url, params)
        assert response.status_code == 200, (list_filter, params)
        # An unknown lookup redirects with ?e=1 instead of filtering: that would be a broken filter.
        assert "e=1" not in response.get("Location", ""), (list_filter, params)
    if model_admin.date_hierarchy:
        now = timezone.now()
        params = {f"{model_admin.date_hierarchy}__year": now.year, f"{model_admin.date_hierarchy}__month": now.month}
        assert staff_client.get(url, params).status_code == 200


def test_search_finds_the_row(staff_client, rows):
    response = staff_client.get(_url(BackInStockSubscription, "changelist"), {"q": "PS11750057"})
    assert rows["subscription"].id in response.text
    response = staff_client.get(_url(BackInStockSubscription, "changelist"), {"q": "ada@example"})
    assert rows["subscription"].id in response.text
    response = staff_client.get(_url(BackInStockSubscription, "changelist"), {"q": "nobody@example.com"})
    assert rows["subscription"].id not in response.text
    response = staff_client.get(_url(Conversation, "changelist"), {"q": "ada@example.com"})
    assert rows["conversation"].id in response.text


@pytest.mark.parametrize("model", NO_ADD, ids=lambda m: m.__name__)
def test_view_only_admins_refuse_add(staff_client, model):
    assert staff_client.get(_url(model, "add")).status_code == 403


@pytest.mark.parametrize("model", VIEW_ONLY, ids=lambda m: m.__name__)
def test_view_only_admins_refuse_change(staff_client, rows, model):
    obj = model.objects.first()
    response = staff_client.post(_url(model, "change", obj.pk), {})
    assert response.status_code == 403


def test_view_only_audit_rows_cannot_be_deleted(staff_client, rows):
    for model in (ActionTransition, WebhookEvent, Event, AlertNotice, ActionResponse):
        obj = model.objects.first()
        assert staff_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
        assert model.objects.filter(pk=obj.pk).exists()


def test_conversation_page_shows_transcript_in_order_and_never_the_token_hash(staff_client, rows):
    conversation = rows["conversation"]
    response = staff_client.get(_url(Conversation, "change", conversation.pk))
    text = response.text
    assert TOKEN_HASH not in text
    assert "token_hash" not in text
    first = text.index("Is PS11750057 compatible with my WDT780SAEM1?")
    second = text.index("PS11750057 is compatible with WDT780SAEM1.")
    assert first < second
    assert rows["action"].id in text
    assert reverse("admin:conversations_customer_change", args=[quote(rows["customer"].pk)]) in text


def test_action_page_shows_audit_trail_and_decision_is_read_only(staff_client, rows):
    action = rows["action"]
    response = staff_client.get(_url(Action, "change", action.pk))
    text = response.text
    assert "Approved!" in text  # the response inline
    assert "Rendered" in text  # the transition inline
    # No editable inputs for the decision or the lifecycle.
    for field in ("status", "decided_by", "decided_at", "decision_note", "enabled", "payload"):
        assert f'name="{field}"' not in text


def test_action_change_post_cannot_alter_status(staff_client, rows):
    action = rows["action"]
    url = _url(Action, "change", action.pk)
    staff_client.post(
        url,
        {
            "status": "approved",
            "decision_note": "sneaky",
            "transitions-TOTAL_FORMS": "0",
            "transitions-INITIAL_FORMS": "1",
            "responses-TOTAL_FORMS": "0",
            "responses-INITIAL_FORMS": "1",
        },
    )
    action.refresh_from_db()
    assert action.status == "rendered"
    assert action.decision_note == ""


def test_webhook_payload_is_pretty_and_escaped(staff_client, rows):
    response = staff_client.get(_url(WebhookEvent, "change", rows["webhook"].pk))
    text = response.text
    assert '<pre class="parley-json">' in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert(1)</script>" not in text


def test_message_parts_are_escaped(staff_client, rows):
    response = staff_client.get(_url(Message, "change", rows["reply"].pk))
    assert "&lt;b&gt;rack&lt;/b&gt;" in response.text


def test_order_money_fields_are_read_only(staff_client, rows):
    response = staff_client.get(_url(Order, "change", rows["order"].pk))
    text = response.text
    for field in ("total", "subtotal", "discount_total", "currency", "number"):
        assert f'name="{field}"' not in text
    assert 'name="status"' not in text  # payment status: refunds go through the refund service
    assert "PS11750057" in text  # the order line inline


def test_price_book_has_entry_inline(staff_client, rows):
    response = staff_client.get(_url(PriceBook, "change", rows["book"].pk))
    assert 'name="entries-0-monthly_price"' in response.text


def test_response_template_is_editable_with_context_help(staff_client, rows):
    url = _url(ResponseTemplate, "add")
    response = staff_client.get(url)
    assert response.status_code == 200
    for name in ("action", "payload", "reply", "customer"):
        assert f"<code>{name}</code>" in response.text
    response = staff_client.post(
        url,
        {"action_type": "refund_request", "outcome": "denied", "body": "Sorry {{ customer.name }}", "is_active": "on"},
    )
    assert response.status_code == 302
    assert ResponseTemplate.objects.filter(action_type="refund_request", outcome="denied").exists()


def test_response_template_with_broken_syntax_is_refused(staff_client):
    response = staff_client.post(
        _url(ResponseTemplate, "add"),
        {"action_type": "refund_request", "outcome": "approved", "body": "Hi {% if %}", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "not a valid template" in response.text
    assert not ResponseTemplate.objects.exists()


def test_discount_code_is_editable(staff_client):
    response = staff_client.post(
        _url(DiscountCode, "add"),
        {"code": "SPRING5", "kind": "fixed", "value": "5.00", "currency": "USD", "is_active": "on"},
    )
    assert response.status_code == 302
    assert DiscountCode.objects.get(code="SPRING5").value == Decimal("5.00")


def test_changelists_do_not_query_per_row(staff_client, rows, django_assert_max_num_queries):
    """Add more rows and check the query count stays flat (list_select_related at work)."""
    conversation = rows["conversation"]
    for seq in range(3, 23):
        Message.objects.create(conversation=conversation, seq=seq, role="user", content=f"m{seq}")
        Action.objects.create(conversation=conversation, type="notify_when_in_stock", label="Notify")
    for model in (Message, Action, Conversation, Order, BackInStockSubscription, ActionTransition):
        with django_assert_max_num_queries(12):
            assert staff_client.get(_url(model, "changelist")).status_code == 200


def test_links_to_ids_that_look_like_admin_escapes_still_open_the_row(staff_client):
    # "_22" is how the admin escapes a quotation mark in a URL; an id containing it must be quoted.
    customer = Customer.objects.create(id="cus_22quote", name="Quote")
    conversation = Conversation.objects.create(id="conv_22quote", customer=customer, token_hash=TOKEN_HASH)
    page = staff_client.get(_url(Conversation, "change", conversation.pk))
    assert page.status_code == 200
    link = reverse("admin:conversations_customer_change", args=[quote(customer.pk)])
    assert link in page.content.decode()
    assert staff_client.get(link).status_code == 200


def test_a_saved_reply_with_broken_syntax_is_refused(staff_client):
    url = _url(SavedReply, "add")
    response = staff_client.post(url, {"title": "Broken", "body": "Hi {% if %}", "is_active": "on"})
    assert response.status_code == 200 and SavedReply.objects.count() == 0
    response = staff_client.post(url, {"title": "Order", "body": "Your order {{ order.number }}", "is_active": "on"})
    assert response.status_code == 302 and SavedReply.objects.get().title == "Order"


def test_the_conversation_page_shows_who_answers_read_only(staff_client, rows):
    response = staff_client.get(_url(Conversation, "change", rows["conversation"].pk))
    assert response.status_code == 200 and "handling" in response.text.lower()
    assert 'name="handling"' not in response.text and 'name="assignee"' not in response.text
