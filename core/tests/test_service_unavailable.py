"""The database gone (found by the outside chaos run, a TCP proxy to PostgreSQL cut under a live
Daphne): every door answered Django's 500 page. Now each says 503 `service_unavailable` with
Retry-After, in its own shape, and the sockets close 4503 (the clients reconnect) or answer the
frame with an `error`; back once the database is.

The database_outage is made where it happens (the `database_database_outage` fixture): every cursor fails with the
driver's OperationalError, which Django wraps as it would a dropped connection. ACP and MCP:
agentic/tests/test_acp_mcp_unavailable.py.
"""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from config.asgi import application
from conversations.services.conversations import conversation_start

ORIGIN = [(b"origin", b"http://127.0.0.1:8000")]


def _unavailable(response):
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "5"


@pytest.mark.django_db
def test_rest_answers_503_service_unavailable_and_nothing_is_half_written(client, monkeypatch, database_outage, shop):
    from conversations.models import Conversation

    database_outage()
    search = client.get("/api/catalog/search", {"q": "ice maker"})
    _unavailable(search)
    assert search.json()["error"]["code"] == "service_unavailable"
    started = client.post("/api/chat/conversations", {}, content_type="application/json")
    _unavailable(started)
    assert started.json()["error"]["code"] == "service_unavailable"
    assert "Try again" in started.json()["error"]["detail"]
    monkeypatch.undo()  # the database is back
    assert Conversation.objects.count() == 0
    again = client.post("/api/chat/conversations", {}, content_type="application/json")
    assert again.status_code == 201
    assert Conversation.objects.count() == 1


@pytest.mark.django_db
def test_a_browser_gets_a_short_page_and_an_api_client_json(admin_client, database_outage):
    database_outage()
    page = admin_client.get("/operator/", HTTP_ACCEPT="text/html,application/xhtml+xml")
    _unavailable(page)
    assert page["Content-Type"].startswith("text/html")
    assert b"Back in a moment" in page.content
    api = admin_client.get("/api/operator/conversations")
    _unavailable(api)
    assert api.json()["error"]["code"] == "service_unavailable"


async def _closed_with(path, headers=ORIGIN):
    ws = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await ws.connect(timeout=30)
    assert connected  # accepted, then closed with the code: a client can tell it from a refusal
    output = await ws.receive_output(timeout=30)
    await ws.wait()
    return output


@pytest.mark.django_db(transaction=True)
def test_a_chat_socket_opened_during_the_database_outage_is_closed_4503(database_outage):
    conversation, token = conversation_start()
    database_outage()
    closed = async_to_sync(_closed_with)(f"/ws/chat/{conversation.id}/?token={token}")
    assert closed == {"type": "websocket.close", "code": 4503}


@pytest.mark.django_db(transaction=True)
def test_an_operator_socket_whose_session_cannot_be_read_is_closed_4503(client, django_user_model, database_outage):
    # The session and user lookup runs in channels' middleware, before any consumer.
    client.force_login(django_user_model.objects.create_user("op", password="x", is_staff=True))
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    database_outage()
    closed = async_to_sync(_closed_with)("/ws/operators/", headers=[*ORIGIN, (b"cookie", cookie)])
    assert closed == {"type": "websocket.close", "code": 4503}


@pytest.mark.django_db(transaction=True)
def test_a_frame_during_the_database_outage_is_answered_and_the_socket_stays_open(database_outage):
    conversation, token = conversation_start()

    async def exchange():
        ws = WebsocketCommunicator(application, f"/ws/chat/{conversation.id}/?token={token}", headers=ORIGIN)
        connected, _ = await ws.connect(timeout=30)
        assert connected
        database_outage()
        await ws.send_json_to({"type": "message", "content": "Is it in stock?", "client_message_id": "m1"})
        answer = await ws.receive_json_from(timeout=30)
        await ws.send_json_to({"type": "ping"})
        pong = await ws.receive_json_from(timeout=30)
        await ws.disconnect()
        return answer, pong

    answer, pong = async_to_sync(exchange)()
    assert (answer["type"], answer["code"], answer["retry_after"]) == ("error", "service_unavailable", 5)
    assert pong == {"type": "pong"}
