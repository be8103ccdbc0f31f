"""The handoff over REST: the customer's side (ask, email, rate) and the operators' (claim, assign,
unassign, resolve, reopen, reply, typing, notes, saved replies), with their error codes."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conversations.enums import Handling
from conversations.models import Conversation, Message
from conversations.tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def staff(username="dana", first_name="Dana"):
    user = get_user_model().objects.create_user(
        username=username, password="pw-12345678", is_staff=True, first_name=first_name
    )
    client = APIClient()
    client.default_format = "json"
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return user, client


def customer(conversation):
    client = APIClient()
    client.default_format = "json"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {conversation.token}")
    return client


def error_code(response):
    return response.json()["error"]["code"]


def test_the_customer_asks_for_a_person_and_the_assistant_goes_quiet():
    conversation = ConversationFactory()
    client = customer(conversation)
    base = f"/api/chat/conversations/{conversation.id}"
    assert client.get(f"{base}/handoff").json()["handoff"]["state"] == "bot"
    asked = client.post(f"{base}/handoff")
    assert asked.status_code == 200 and asked.json()["handoff"]["state"] == "waiting_for_human"
    sent = client.post(f"{base}/messages", {"content": "hello?"})
    assert sent.status_code == 201 and sent.json()["reply"] is None
    assert APIClient().post(f"{base}/handoff").status_code == 403  # no token, no handoff
    other = ConversationFactory()
    assert customer(other).get(f"{base}/handoff").status_code == 403  # another conversation's token


def test_operators_work_the_conversation_through_every_endpoint():
    _, dana_client = staff()
    sam, sam_client = staff("sam", "Sam")
    conversation = ConversationFactory(customer_name="Ann")
    customer(conversation).post(f"/api/chat/conversations/{conversation.id}/handoff")
    base = f"/api/operator/conversations/{conversation.id}"

    waiting = dana_client.get("/api/operator/conversations", {"view": "waiting"}).json()["conversations"]
    assert [c["id"] for c in waiting] == [conversation.id]
    claimed = dana_client.post(f"{base}/claim")
    assert claimed.status_code == 200 and claimed.json()["handoff"]["assignee"]["name"] == "Dana"
    refused = sam_client.post(f"{base}/claim")
    assert refused.status_code == 409 and error_code(refused) == "handoff_assigned_to_other"
    mine = dana_client.get("/api/operator/conversations", {"view": "mine"}).json()["conversations"]
    assert [c["id"] for c in mine] == [conversation.id]
    assert sam_client.get("/api/operator/conversations", {"view": "mine"}).json()["conversations"] == []

    reply = dana_client.post(f"{base}/messages", {"content": "Hi Ann, Dana here."})
    assert reply.status_code == 201
    assert reply.json()["message"]["role"] == "operator"
    assert reply.json()["message"]["operator"] == {"name": "Dana"}
    assert error_code(sam_client.post(f"{base}/messages", {"content": "me too"})) == ("handoff_assigned_to_other")
    assert dana_client.post(f"{base}/messages", {"content": "  "}).status_code == 400
    assert dana_client.post(f"{base}/typing", {"active": True}).status_code == 204
    assert sam_client.post(f"{base}/typing", {"active": True}).status_code == 409

    note = dana_client.post(f"{base}/notes", {"content": "Wants a refund, be kind"})
    assert note.status_code == 201 and note.json()["author"]["name"] == "Dana"
    detail = sam_client.get(base).json()
    assert detail["notes"][0]["content"] == "Wants a refund, be kind"
    assert detail["handoff"]["state"] == "assigned" and detail["handoff"]["firstResponseAt"]
    history = customer(conversation).get(f"/api/chat/conversations/{conversation.id}/messages").json()["messages"]
    assert all("refund, be kind" not in m["content"] for m in history)
    assert any(m["role"] == "operator" and m["operator"] == {"name": "Dana"} for m in history)

    moved = dana_client.post(f"{base}/assign", {"operator_id": sam.pk})
    assert moved.json()["handoff"]["assignee"] == {"id": sam.pk, "name": "Sam"}
    assert error_code(dana_client.post(f"{base}/assign", {"operator_id": 99999})) == ("operator_not_found")
    assert sam_client.post(f"{base}/unassign").json()["handoff"]["state"] == "waiting_for_human"
    assert error_code(sam_client.post(f"{base}/unassign")) == "handoff_transition_invalid"
    assert error_code(sam_client.post(f"{base}/reopen")) == "handoff_transition_invalid"
    resolved = sam_client.post(f"{base}/resolve")
    assert resolved.json()["handoff"]["state"] == "resolved"
    assert error_code(sam_client.post(f"{base}/resolve")) == "handoff_transition_invalid"
    assert [
        c["id"] for c in sam_client.get("/api/operator/conversations", {"view": "resolved"}).json()["conversations"]
    ] == [conversation.id]
    reopened = sam_client.post(f"{base}/reopen")
    assert reopened.json()["handoff"]["assignee"]["name"] == "Sam"


def test_operator_endpoints_are_staff_only_and_check_their_input():
    conversation = ConversationFactory()
    base = f"/api/operator/conversations/{conversation.id}"
    assert error_code(APIClient().post(f"{base}/claim")) == "not_authenticated"
    shopper = get_user_model().objects.create_user(username="shopper", password="pw-12345678")
    client = APIClient()
    client.force_authenticate(shopper)
    assert client.post(f"{base}/claim").status_code == 403
    assert customer(conversation).post(f"{base}/claim").status_code == 401  # a conversation token is not staff
    _, dana_client = staff()
    assert error_code(dana_client.post("/api/operator/conversations/conv_nope/claim")) == "conversation_not_found"
    assert dana_client.get("/api/operator/conversations", {"view": "nonsense"}).status_code == 400
    assert dana_client.post(f"{base}/assign", {"operator_id": "x"}).status_code == 400
    assert dana_client.post(f"{base}/typing", {"active": "maybe"}).status_code == 400
    assert Conversation.objects.get(pk=conversation.pk).handling == Handling.BOT


def test_search_finds_a_conversation_by_customer_and_text():
    _, client = staff()
    conversation = ConversationFactory(customer_name="Zoe Quill", customer_email="zoe@example.com")
    ConversationFactory(customer_name="Other")
    Message.objects.filter(conversation=conversation).update(content="my ice maker leaks")
    for query in ("zoe quill", "ZOE@example", "ice maker"):
        found = client.get("/api/operator/conversations", {"view": "all", "q": query}).json()["conversations"]
        assert [c["id"] for c in found] == [conversation.id], query


def test_saved_replies_are_listed_created_and_filled_in():
    _, client = staff()
    conversation = ConversationFactory(customer_name="Ann")
    created = client.post("/api/operator/saved-replies", {"title": "Hi", "body": "Hello {{ customer.name }}!"})
    assert created.status_code == 201
    listed = client.get("/api/operator/saved-replies").json()
    assert listed["savedReplies"][0]["title"] == "Hi" and "order.number" in listed["variables"]
    rendered = client.post(
        f"/api/operator/saved-replies/{created.json()['id']}/render", {"conversation_id": conversation.id}
    )
    assert rendered.json() == {"text": "Hello Ann!"}
    again = client.post("/api/operator/saved-replies", {"title": "Hi", "body": "Hello again"})
    assert again.status_code == 400 and again.json()["error"]["fields"]["title"] == ["Already used."]
    broken = client.post("/api/operator/saved-replies", {"title": "Bad", "body": "{% for %}"})
    assert broken.status_code == 400 and error_code(broken) == "saved_reply_invalid"
    missing = client.post("/api/operator/saved-replies/999/render", {"conversation_id": conversation.id})
    assert missing.status_code == 404 and error_code(missing) == "saved_reply_not_found"


def test_the_customer_rates_after_resolution_and_leaves_an_email_when_asked(settings):
    _, dana_client = staff()
    conversation = ConversationFactory()
    client = customer(conversation)
    base = f"/api/chat/conversations/{conversation.id}"
    assert error_code(client.post(f"{base}/handoff/contact", {"email": "a@b.co"})) == "handoff_transition_invalid"
    client.post(f"{base}/handoff")
    assert error_code(client.post(f"{base}/handoff/contact", {"email": "nope"})) == "handoff_contact_invalid"
    assert client.post(f"{base}/handoff/contact", {"email": "ann@example.com"}).status_code == 200
    early = client.post(f"{base}/handoff/rating", {"score": 5})
    assert early.status_code == 409 and error_code(early) == "rating_not_allowed"
    dana_client.post(f"/api/operator/conversations/{conversation.id}/claim")
    dana_client.post(f"/api/operator/conversations/{conversation.id}/resolve")
    assert client.get(f"{base}/handoff").json()["handoff"]["canRate"] is True
    assert client.post(f"{base}/handoff/rating", {"score": 9}).status_code == 400
    rated = client.post(f"{base}/handoff/rating", {"score": 5, "comment": "great"})
    assert rated.status_code == 201 and rated.json() == {"score": 5}
    assert error_code(client.post(f"{base}/handoff/rating", {"score": 4})) == "rating_already_given"


def test_the_schema_documents_the_operator_role_and_the_handoff_endpoints(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    message = schema["components"]["schemas"]["MessageOutput"]
    assert "operator" in message["properties"]
    role = schema["components"]["schemas"][message["properties"]["role"]["allOf"][0]["$ref"].split("/")[-1]]
    assert "operator" in role["enum"]
    for path in (
        "/api/operator/conversations/{conversation_id}/claim",
        "/api/operator/conversations/{conversation_id}/messages",
        "/api/chat/conversations/{conversation_id}/handoff/rating",
    ):
        assert path in schema["paths"], path
