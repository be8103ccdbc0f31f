"""POST /api/actions/{id}/feedback and GET /api/actions/pending: staff only, decided once."""

import pytest
from rest_framework.authtoken.models import Token

from actions.models import Action, ActionResponse
from actions.tests.factories import ActionFactory
from checkout.tests.factories import OrderFactory
from conversations.tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def feedback(api, action_id, **body):
    return api.post(f"/api/actions/{action_id}/feedback", body, format="json")


def test_anonymous_callers_are_refused(api, pending_action):
    action = pending_action()
    response = feedback(api, action.id, decision="approved")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert api.get("/api/actions/pending").status_code == 401
    assert Action.objects.get(pk=action.pk).status == "pending_approval"


def test_non_staff_get_403(api, pending_action, non_staff):
    action = pending_action()
    api.force_authenticate(non_staff)
    response = feedback(api, action.id, decision="approved")
    assert response.status_code == 403 and response.json()["error"]["code"] == "operator_required"
    assert api.get("/api/actions/pending").status_code == 403


def test_a_conversation_token_is_not_an_operator_credential(api, pending_action):
    conversation = ConversationFactory()
    token = conversation.token
    action = pending_action(conversation=conversation)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert feedback(api, action.id, decision="approved").status_code == 401


def test_an_operator_token_approves_and_a_second_decision_gets_409(api, pending_action, operator):
    action = pending_action(type="policy_exception", payload={}, label="Late return")
    token = Token.objects.create(user=operator)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = feedback(api, action.id, decision="approved", reply_text="Just this once.")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["decidedBy"], body["decisionNote"]) == (
        action.id,
        "succeeded",
        "olga",
        "Just this once.",
    )
    again = feedback(api, action.id, decision="denied")
    assert again.status_code == 409 and again.json()["error"]["code"] == "action_already_decided"
    assert ActionResponse.objects.filter(action=action).count() == 1


def test_a_staff_session_can_decide_with_csrf(pending_action, operator, client):
    from rest_framework.test import APIClient

    action = pending_action(type="policy_exception", payload={})
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(operator)
    refused = session.post(f"/api/actions/{action.id}/feedback", {"decision": "denied"}, format="json")
    assert refused.status_code == 403  # no CSRF token
    session.get("/operator/")
    csrf = session.cookies["csrftoken"].value
    accepted = session.post(
        f"/api/actions/{action.id}/feedback", {"decision": "denied"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "denied"


def test_unknown_action_is_404(api, operator):
    api.force_authenticate(operator)
    response = feedback(api, "act_doesnotexist", decision="approved")
    assert response.status_code == 404 and response.json()["error"]["code"] == "action_not_found"


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "decision"),
        ({"decision": "maybe"}, "decision"),
        ({"decision": "approved", "reply_text": "x" * 2001}, "reply_text"),
        ({"decision": "approved", "payload": "nope"}, "payload"),
        ({"decision": "edited"}, "payload"),
        ({"decision": "edited", "payload": {"unknown": 1}}, "payload"),
        ({"decision": "approved", "payload": {"reason": "x"}}, "payload"),
    ],
)
def test_invalid_bodies_get_400_and_change_nothing(api, pending_action, operator, body, field):
    action = pending_action(type="policy_exception", payload={})
    api.force_authenticate(operator)

    response = api.post(f"/api/actions/{action.id}/feedback", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Action.objects.get(pk=action.pk).status == "pending_approval"
    assert not ActionResponse.objects.exists()


def test_a_button_not_yet_clicked_cannot_be_decided(api, operator):
    conversation = ConversationFactory()
    action = ActionFactory(conversation=conversation)
    api.force_authenticate(operator)
    response = feedback(api, action.id, decision="approved")
    assert response.status_code == 409 and response.json()["error"]["code"] == "action_not_pending"


def test_pending_lists_only_waiting_actions_oldest_first(api, pending_action, operator):
    first = pending_action(type="policy_exception", payload={"reason": "a"})
    second = pending_action(type="order_cancellation", payload={"orderNumber": "ORD-9"})
    decided = pending_action(type="policy_exception", payload={"reason": "c"})
    api.force_authenticate(operator)
    feedback(api, decided.id, decision="denied")

    body = api.get("/api/actions/pending").json()

    assert [a["id"] for a in body["actions"]] == [first.id, second.id]
    assert body["actions"][1]["payload"] == {"orderNumber": "ORD-9"}
    assert body["actions"][0]["customer"]["name"] == "Ann"


def test_the_chat_offers_a_refund_for_a_paid_order_and_the_click_reaches_the_operator(api, operator, shop):
    conversation = ConversationFactory(customer_name="Ann")
    token = conversation.token
    order = OrderFactory(conversation=conversation, number="ORD-TEST1")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    reply = api.post(
        f"/api/chat/conversations/{conversation.id}/messages",
        {"content": "The rack broke, I want a refund please", "client_message_id": "r1"},
        format="json",
    ).json()["reply"]

    (button,) = reply["actions"]
    assert button["type"] == "refund_request" and button["payload"]["orderNumber"] == order.number
    assert order.number in reply["content"]
    clicked = api.post(f"/api/chat/conversations/{conversation.id}/actions/{button['id']}/click")
    assert clicked.json()["status"] == "pending_approval"

    api.credentials()
    api.force_authenticate(operator)
    assert [a["id"] for a in api.get("/api/actions/pending").json()["actions"]] == [button["id"]]
    assert feedback(api, button["id"], decision="approved").json()["status"] == "succeeded"
    order.refresh_from_db()
    assert order.status == "refunded"


def test_no_refund_button_without_a_paid_order(api, shop):
    conversation = ConversationFactory()
    token = conversation.token
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    reply = api.post(
        f"/api/chat/conversations/{conversation.id}/messages", {"content": "I want my money back"}, format="json"
    ).json()["reply"]
    assert reply["actions"] == [] and "can't see a paid order" in reply["content"]
