"""POST /api/alerts/back-in-stock: from the chat button and directly."""

import re

import pytest
from django.core import mail

from actions.tests.factories import ActionFactory
from alerts.models import BackInStockSubscription
from analytics.models import Event
from conversations.tests.factories import ConversationFactory

URL = "/api/alerts/back-in-stock"


@pytest.fixture
def button(out_of_stock):
    """A rendered notify_when_in_stock button in a fresh conversation, and its token."""
    conversation = ConversationFactory()
    token = conversation.token
    action = ActionFactory(
        conversation=conversation,
        type="notify_when_in_stock",
        payload={"psNumber": out_of_stock.ps_number, "channel": "email"},
    )
    return conversation, token, action


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """POST as a client would, running what follows the commit (the opt-in message)."""

    def send(api, body, token=None, **extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(URL, body, format="json", **headers, **extra)

    return send


@pytest.mark.django_db
def test_direct_email_subscription_is_pending_until_the_signed_link_is_followed(api, out_of_stock, post):
    response = post(api, {"psNumber": "ps11750057", "channel": "email", "contact": "  Ana.Silva@Example.COM "})

    assert response.status_code == 202, response.json()
    sub = response.json()["subscription"]
    assert sub["status"] == "pending" and sub["contact"] == "ana.silva@example.com" and sub["psNumber"] == "PS11750057"
    assert sub["id"].startswith("sub_")
    (email,) = mail.outbox
    assert email.to == ["ana.silva@example.com"] and "Confirm" in email.subject
    link = re.search(r"http://\S+/alerts/confirm/\S+", email.body).group(0)
    assert email.extra_headers["List-Unsubscribe"].startswith("<http")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Event.objects.filter(name="alert_subscribed", ps_number="PS11750057").count() == 1

    page = api.get(link.replace("http://127.0.0.1:8000", ""))
    assert page.status_code == 200 and b"Your alert is confirmed" in page.content
    assert BackInStockSubscription.objects.get(id=sub["id"]).status == "active"


@pytest.mark.django_db
def test_the_answer_does_not_tell_whether_a_contact_was_already_subscribed(api, out_of_stock, post):
    first = post(api, {"psNumber": "PS11750057", "channel": "email", "contact": "ana@example.com"})
    BackInStockSubscription.objects.update(status="active")  # Ana confirmed her link
    second = post(api, {"psNumber": "PS11750057", "channel": "email", "contact": "ANA@example.com"})

    assert (first.status_code, second.status_code) == (202, 202)  # was: 201, then 200 "created": false
    assert first.json() == second.json()
    assert second.json()["subscription"]["status"] == "pending" and second.json()["created"] is None
    assert BackInStockSubscription.objects.count() == 1
    assert len(mail.outbox) == 1  # the opt-in is not re-sent


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"psNumber": "PS11750058", "channel": "email", "contact": "a@example.com"}, 409, "product_in_stock"),
        ({"psNumber": "PS00000000", "channel": "email", "contact": "a@example.com"}, 404, "product_not_found"),
        ({"psNumber": "PS99000001", "channel": "email", "contact": "a@example.com"}, 404, "product_not_found"),
        ({"psNumber": "PS11750057", "channel": "email", "contact": "not-an-email"}, 400, "contact_invalid"),
        ({"psNumber": "PS11750057", "channel": "sms", "contact": "+1 202 555 0143"}, 400, "channel_unavailable"),
        ({"psNumber": "PS11750057", "channel": "whatsapp", "contact": "12"}, 400, "contact_invalid"),
        ({"psNumber": "PS11750057", "channel": "web"}, 400, "conversation_required"),
        ({"psNumber": "PS11750057", "channel": "pigeon", "contact": "x"}, 400, "invalid"),
        ({"channel": "email", "contact": "a@example.com"}, 400, "invalid"),
        ({"psNumber": "PS11750057", "contact": "a@example.com"}, 400, "invalid"),
    ],
)
def test_refusals_have_clear_codes_and_write_nothing(api, out_of_stock, body, status, code, post):
    response = post(api, body)
    assert response.status_code == status, response.json()
    assert response.json()["error"]["code"] == code
    assert BackInStockSubscription.objects.count() == 0 and mail.outbox == []
    if code == "contact_invalid":
        assert response.json()["error"]["fields"]["contact"]


@pytest.mark.django_db
def test_whatsapp_numbers_are_stored_in_e164_when_the_channel_is_configured(api, out_of_stock, settings, post):
    settings.WHATSAPP_TOKEN, settings.WHATSAPP_PHONE_NUMBER_ID = "token", "123"
    settings.WHATSAPP_API_BASE = "http://127.0.0.1:9/"  # nothing listens: the opt-in fails, the row stays
    response = post(api, {"psNumber": "PS11750057", "channel": "whatsapp", "contact": "(202) 555-0143"})
    assert response.status_code == 202, response.json()
    assert response.json()["subscription"]["contact"] == "+12025550143"


@pytest.mark.django_db
def test_the_button_subscribes_and_succeeds(api, button, post):
    conversation, token, action = button
    response = post(api, {"action_id": action.id, "channel": "email", "contact": "ana@example.com"}, token)

    assert response.status_code == 202, response.json()
    action.refresh_from_db()
    assert action.status == "succeeded" and action.enabled is False
    assert action.result["subscription_id"] == response.json()["subscription"]["id"]
    statuses = list(action.transitions.order_by("created_at", "id").values_list("to_status", flat=True))
    assert statuses == ["rendered", "clicked", "succeeded"]  # rendered: the button as the chat showed it
    sub = BackInStockSubscription.objects.get()
    assert sub.conversation_id == conversation.id and sub.action_id == action.id and sub.status == "pending"

    again = post(api, {"action_id": action.id, "channel": "email", "contact": "ana@example.com"}, token)
    assert again.status_code == 202 and again.json() == response.json()


@pytest.mark.django_db
def test_the_button_needs_its_conversations_token_and_its_own_type(api, button, shop, post):
    conversation, token, action = button
    other_token = ConversationFactory().token
    refused = post(api, {"action_id": action.id, "channel": "email", "contact": "a@example.com"}, other_token)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "action_not_found"

    checkout = ActionFactory(conversation=conversation, type="checkout_now", payload={"psNumber": "PS11750058"})
    wrong = post(api, {"action_id": checkout.id, "channel": "email", "contact": "a@example.com"}, token)
    assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "action_type_mismatch"

    tampered = post(
        api,
        {"action_id": action.id, "contact": "a@example.com", "payload": {"psNumber": "PS11750058", "channel": "email"}},
        token,
    )
    assert tampered.status_code == 400 and tampered.json()["error"]["code"] == "payload_mismatch"
    assert BackInStockSubscription.objects.count() == 0


@pytest.mark.django_db
def test_a_refused_button_fails_with_the_error_and_can_be_retried(api, button, post):
    _, token, action = button
    bad = post(api, {"action_id": action.id, "channel": "email", "contact": "nope"}, token)
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["contact"]
    action.refresh_from_db()
    assert action.status == "failed" and action.enabled is True and "valid email" in action.error
    assert BackInStockSubscription.objects.count() == 0

    good = post(api, {"action_id": action.id, "channel": "email", "contact": "ana@example.com"}, token)
    assert good.status_code == 202
    action.refresh_from_db()
    assert action.status == "succeeded"


@pytest.mark.django_db
def test_a_contact_verified_in_this_conversation_is_active_at_once(api, button, post):
    conversation, token, action = button
    customer = conversation.customer
    customer.email, customer.email_verified = "Ana@Example.com", True
    customer.save()
    response = post(api, {"action_id": action.id, "contact": "ana@example.com"}, token)
    assert response.status_code == 201 and response.json()["subscription"]["status"] == "active"
    assert mail.outbox == []  # no opt-in needed


@pytest.mark.django_db
def test_web_alerts_go_to_the_open_chat_and_are_active_at_once(api, out_of_stock, post):
    conversation = ConversationFactory()
    token = conversation.token
    response = post(api, {"psNumber": "PS11750057", "channel": "web", "conversation_id": conversation.id}, token)
    assert response.status_code == 201, response.json()
    sub = response.json()["subscription"]
    assert sub["status"] == "active" and sub["contact"] == conversation.id
    wrong = post(api, {"psNumber": "PS11750057", "channel": "web", "conversation_id": conversation.id}, "bad")
    assert wrong.status_code == 403


@pytest.mark.django_db
def test_a_signed_in_customers_own_email_is_active_at_once(api, out_of_stock, django_user_model, post):
    user = django_user_model.objects.create_user(username="ana", email="ana@example.com", password="pw-ana-12345")
    api.force_authenticate(user)
    response = post(api, {"psNumber": "PS11750057", "channel": "email", "contact": "ANA@example.com"})
    assert response.json()["subscription"]["status"] == "active"
    other = post(api, {"psNumber": "PS11750057", "channel": "email", "contact": "someone@example.com"})
    assert other.json()["subscription"]["status"] == "pending"


@pytest.mark.django_db
def test_rate_limits_per_contact_and_per_ip(api, out_of_stock, settings, post):
    settings.ALERTS_RATE_LIMIT_PER_CONTACT = "2/h"
    settings.ALERTS_RATE_LIMIT_PER_IP = "4/m"
    body = {"psNumber": "PS11750057", "channel": "email", "contact": "ana@example.com"}
    assert [post(api, body).status_code for _ in range(2)] == [202, 202]
    limited = post(api, body)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert "this contact" in limited.json()["error"]["detail"] and int(limited["Retry-After"]) >= 1

    assert post(api, {**body, "contact": "bo@example.com"}).status_code == 202
    ip_limited = post(api, {**body, "contact": "cy@example.com"})
    assert ip_limited.status_code == 429 and "this address" in ip_limited.json()["error"]["detail"]
    other_ip = post(api, {**body, "contact": "cy@example.com"}, REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 202
    assert BackInStockSubscription.objects.count() == 3


def test_the_schema_documents_the_endpoint():
    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator(patterns=[path("api/alerts/", include("alerts.urls"))]).get_schema(public=True)
    operation = schema["paths"]["/api/alerts/back-in-stock"]["post"]
    assert {"200", "201", "400", "404", "409", "429"} <= set(operation["responses"])
    assert "action_id" in schema["components"]["schemas"]["BackInStockSubscriptionCreateInput"]["properties"]
