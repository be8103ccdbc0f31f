"""The operator inbox: page, socket feed, and the customer's socket hearing the decision."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


@database_sync_to_async
def session_cookie(username, staff=True):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, password="pw-12345678", is_staff=staff)
    client = Client()
    client.force_login(user)
    return user, client.cookies["sessionid"].value


async def operator_socket(cookie):
    headers = [ORIGIN] + ([(b"cookie", f"sessionid={cookie}".encode())] if cookie else [])
    communicator = WebsocketCommunicator(application, "/ws/operators/", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def receive_until(communicator, event_type, predicate=lambda e: True, limit=15):
    seen = []
    for _ in range(limit):
        event = await communicator.receive_json_from(timeout=5)
        seen.append(event)
        if event["type"] == event_type and predicate(event):
            return event
    raise AssertionError(f"no {event_type} in {seen}")


@database_sync_to_async
def make_pending(with_message=True):
    from actions.services.clicks import action_click
    from actions.tests.factories import ActionFactory
    from conversations.tests.factories import ConversationFactory

    conversation = ConversationFactory(customer_name="Ann", customer_email="ann@example.com")
    token = conversation.token
    action = ActionFactory(
        conversation=conversation,
        message__content="Shall I ask?",
        type="policy_exception",
        label="Ask for an exception",
        payload={"reason": "late return"},
    )
    return conversation, token, action, action_click


@database_sync_to_async
def call(fn, **kwargs):
    return fn(**kwargs)


@database_sync_to_async
def decide(action, operator, decision="approved", reply_text=""):
    from actions.services.feedback import action_feedback_apply

    return action_feedback_apply(action=action, decision=decision, operator=operator, reply_text=reply_text)


# --- page ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_inbox_page_is_for_staff_only(client, django_user_model):
    response = client.get("/operator/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=/operator/")

    client.force_login(django_user_model.objects.create_user(username="carl", password="pw-12345678"))
    assert client.get("/operator/").status_code == 302

    client.force_login(django_user_model.objects.create_user(username="olga", password="pw-12345678", is_staff=True))
    response = client.get("/operator/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="op-pending-list"' in html and 'data-socket-url="/ws/operators/"' in html
    for name in ("Approve", "Deny", "Edit…", "Approve with changes", "Search"):
        assert f">{name}</button>" in html
    assert (
        'role="search"' in html
        and 'id="main"' in html
        and 'data-conversations-url="/api/operator/conversations"' in html
    )
    assert "<script>" not in html and " style=" not in html and "onclick" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


# --- socket -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_operator_socket_refuses_anonymous_and_non_staff():
    _ws, connected, code = await operator_socket(None)
    assert not connected and code == 4403
    _, cookie = await session_cookie("carl", staff=False)
    _ws, connected, code = await operator_socket(cookie)
    assert not connected and code == 4403


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_operators_see_requests_arrive_and_decisions_land_live():
    operator, cookie = await session_cookie("olga")
    ws, connected, _ = await operator_socket(cookie)
    assert connected
    snapshot = await ws.receive_json_from(timeout=5)
    assert snapshot["type"] == "operator.snapshot" and snapshot["actions"] == []

    _conversation, _token, action, click = await make_pending()
    await call(click, action=action)
    pending = await receive_until(ws, "operator.action")
    assert pending["action"]["id"] == action.id and pending["action"]["status"] == "pending_approval"
    assert pending["action"]["customer"]["email"] == "ann@example.com"

    await decide(action, operator, "approved", "Fine.")
    decided = await receive_until(ws, "operator.action", lambda e: e["action"]["status"] == "approved")
    assert decided["action"]["decidedBy"] == "olga" and decided["action"]["decisionNote"] == "Fine."
    await receive_until(ws, "operator.action", lambda e: e["action"]["status"] == "succeeded")
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_customer_message_reaches_the_inbox_and_an_opened_conversation_follows_live(shop):
    _, cookie = await session_cookie("olga")
    ws, _, _ = await operator_socket(cookie)
    await ws.receive_json_from(timeout=5)  # snapshot

    from conversations.services.replies import customer_message_handle

    conversation, _token, action, click = await make_pending()
    await call(customer_message_handle, conversation=conversation, content="Hello there")
    event = await receive_until(ws, "operator.conversation")
    assert event["conversation"]["id"] == conversation.id
    assert event["conversation"]["lastMessage"]["content"] == "Hello there"
    assert event["conversation"]["customer"]["name"] == "Ann"

    await ws.send_json_to({"type": "conversation.open", "conversation_id": conversation.id})
    opened = await receive_until(ws, "operator.messages")
    contents = [m["content"] for m in opened["messages"]]
    assert contents.index("Shall I ask?") < contents.index("Hello there")
    await call(click, action=action)
    status = await receive_until(ws, "action.status")
    assert status["action_id"] == action.id and status["status"] in ("clicked", "pending_approval")

    await ws.send_json_to({"type": "conversation.open", "conversation_id": "conv_nope"})
    error = await receive_until(ws, "error")
    assert error["code"] == "conversation_not_found"
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_customer_socket_gets_the_status_and_the_reply_and_a_reconnect_gets_the_history():
    operator, _ = await session_cookie("olga")
    conversation, token, action, click = await make_pending()
    await call(click, action=action)
    customer = WebsocketCommunicator(application, f"/ws/chat/{conversation.id}/?token={token}", headers=[ORIGIN])
    assert (await customer.connect())[0]

    await decide(action, operator, "approved", "Enjoy.")

    approved = await receive_until(customer, "action.status", lambda e: e["status"] == "approved")
    assert approved["action_id"] == action.id and approved["enabled"] is False
    update = await receive_until(customer, "message", lambda e: e["message"]["type"] == "action_status_update")
    assert update["message"]["role"] == "internal"
    reply = await receive_until(customer, "message", lambda e: e["message"]["role"] == "assistant")
    assert reply["message"]["content"].startswith("Good news: your request (Ask for an exception)")
    assert reply["message"]["content"].endswith("Enjoy.")
    done = await receive_until(customer, "action.status", lambda e: e["status"] == "succeeded")
    assert done["action_id"] == action.id
    await customer.disconnect()

    # A second request decided while the customer is away: the reconnect's history shows it.
    last_seen = reply["message"]["id"]
    _, _, second, _ = await make_pending()
    await database_sync_to_async(
        lambda: second.__class__.objects.filter(pk=second.pk).update(conversation=conversation, message=None)
    )()
    await call(click, action=second)
    await decide(second, operator, "denied")

    back = WebsocketCommunicator(
        application, f"/ws/chat/{conversation.id}/?token={token}&after={last_seen}", headers=[ORIGIN]
    )
    assert (await back.connect())[0]
    history = await receive_until(back, "history")
    contents = [(m["type"], m["content"]) for m in history["messages"]]
    assert ("action_status_update", "Ask for an exception: declined") in contents
    assert ("text", "Sorry, we can't approve your request (Ask for an exception).") in contents
    await back.disconnect()

    # And the first bubble's status is the current one in the full history.
    again = WebsocketCommunicator(application, f"/ws/chat/{conversation.id}/?token={token}", headers=[ORIGIN])
    assert (await again.connect())[0]
    await again.send_json_to({"type": "history"})
    full = await receive_until(again, "history")
    actions = {a["id"]: a["status"] for m in full["messages"] for a in m["actions"]}
    assert actions[action.id] == "succeeded"
    await again.disconnect()


def test_the_inbox_script_inserts_text_only_and_keeps_stable_hooks():
    from pathlib import Path

    from django.conf import settings

    script = (Path(settings.BASE_DIR) / "static/parley/operator.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script
    assert "dataset.actionId" in script and "/feedback" in script
