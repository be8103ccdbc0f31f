"""The embeddable widget's server side: its config, the demo product page, CORS for allowed
shop origins on the chat API, and the chat socket's origin check."""

import pytest
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from catalog.tests.factories import ProductFactory
from config.asgi import application
from conversations.pages import example_questions

SHOP = "https://shop.example"


def test_example_questions_follow_the_page_product():
    assert example_questions({"psNumber": "PS1", "modelNumber": "M1"}) == [
        "Is PS1 compatible with my M1?",
        "How do I install PS1?",
        "Is PS1 in stock?",
    ]
    # Without a model the compatibility question is not offered; the shop's examples fill in.
    assert example_questions({"psNumber": "PS1"}) == [
        "How do I install PS1?",
        "Is PS1 in stock?",
        "Is PS11750057 compatible with my WDT780SAEM1?",
    ]
    with override_settings(PARLEY_CHAT_EXAMPLES=["Which plan fits a team of 5?"], PARLEY_CHAT_PRODUCT_EXAMPLES=[]):
        assert example_questions({"psNumber": "PS1"}) == ["Which plan fits a team of 5?"]


def test_widget_config(client):
    response = client.get("/chat/widget/config", {"psNumber": "PS11750057", "modelNumber": "WDT780SAEM1"})
    assert response.status_code == 200
    body = response.json()
    assert body["shopName"]
    assert body["examples"][0] == "Is PS11750057 compatible with my WDT780SAEM1?"
    assert body["endpoints"]["conversations"] == "/api/chat/conversations"
    assert body["endpoints"]["backInStock"] == "/api/alerts/back-in-stock"
    assert "max-age" in response["Cache-Control"]


@pytest.mark.django_db
def test_demo_product_page_embeds_the_widget_with_the_product_context(client):
    ProductFactory(ps_number="PS11750057", name="Dishwasher <Spray> Arm", appliance_type="dishwasher")
    response = client.get("/demo/product/PS11750057/?model=WDT780SAEM1")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dishwasher &lt;Spray&gt; Arm" in html
    assert 'src="/static/parley/widget.js"' in html
    assert 'data-ps-number="PS11750057"' in html
    assert 'data-model-number="WDT780SAEM1"' in html
    assert 'data-appliance-type="dishwasher"' in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert client.get("/demo/product/PS00000000/").status_code == 404


@pytest.mark.django_db
@override_settings(PARLEY_EMBED_ORIGINS=[SHOP])
def test_cors_for_allowed_shop_origins_only(client):
    preflight = client.options(
        "/api/chat/conversations",
        HTTP_ORIGIN=SHOP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, authorization",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight

    started = client.post("/api/chat/conversations", {}, content_type="application/json", HTTP_ORIGIN=SHOP)
    assert started.status_code == 201
    assert started["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in started["Vary"]

    other = client.post(
        "/api/chat/conversations", {}, content_type="application/json", HTTP_ORIGIN="https://evil.example"
    )
    assert "Access-Control-Allow-Origin" not in other
    # Only what the widget uses: not the operator API, not the admin.
    pending = client.get("/api/actions/pending", HTTP_ORIGIN=SHOP)
    assert "Access-Control-Allow-Origin" not in pending


@pytest.mark.django_db
def test_no_cors_without_the_setting(client):
    response = client.get("/chat/widget/config", HTTP_ORIGIN=SHOP)
    assert "Access-Control-Allow-Origin" not in response


async def _socket_accepted(path, origin):
    communicator = WebsocketCommunicator(application, path, headers=[(b"origin", origin.encode())])
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@override_settings(PARLEY_EMBED_ORIGINS=[SHOP])
async def test_chat_socket_accepts_embed_origins_operator_socket_does_not():
    from channels.db import database_sync_to_async

    from conversations.services.conversations import conversation_start

    conversation, token = await database_sync_to_async(conversation_start)()
    path = f"/ws/chat/{conversation.id}/?token={token}"
    assert await _socket_accepted(path, SHOP)
    assert await _socket_accepted(path, "http://127.0.0.1")
    assert not await _socket_accepted(path, "https://evil.example")
    assert not await _socket_accepted("/ws/operators/", SHOP)
