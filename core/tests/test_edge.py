"""Input no view can handle is refused at the edge (core/middleware.py, core/parsers.py), with the
usual error body, never a 500. Each case names what the server answered before."""

import io
import json

import pytest
from django.test import override_settings

from core.jsonsafe import InputRefused
from core.parsers import JSONParser

pytestmark = pytest.mark.django_db

START = "/api/chat/conversations"


def post_raw(client, path, body: bytes, **extra):
    return client.generic("POST", path, body, content_type="application/json", **extra)


def error_code(response):
    body = response.json()
    assert set(body["error"]) == {"code", "detail", "fields"}
    return body["error"]["code"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"context": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}", "json_too_deep"),  # was: 500
        (b'{"context": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}", "json_too_deep"),
        (json.dumps({"context": {"page": "a\u0000b"}}).encode(), "invalid_characters"),  # was: 500 on PostgreSQL
        (json.dumps({"context": {"a\u0000": "b"}}).encode(), "invalid_characters"),
        (b'{"context": {"page": "\\ud800"}}', "invalid_characters"),  # a lone surrogate
        (b'{"context": {"n": NaN}}', "parse_error"),
        (b'{"context": ', "parse_error"),
        (b'{"name": "\xff\xfe"}', "parse_error"),  # not UTF-8
    ],
)
def test_json_bodies_that_cannot_be_stored_are_a_400(client, body, code):
    response = post_raw(client, START, body)

    assert response.status_code == 400
    assert error_code(response) == code


def test_a_body_within_the_limits_still_works(client):
    nested = {"context": {"page": {"a": {"b": {"c": "fine ünïcødé 🙂"}}}}}
    assert post_raw(client, START, json.dumps(nested).encode()).status_code == 201


@pytest.mark.usefixtures("shop")
def test_nul_in_a_path_segment_is_a_404(client):
    response = client.get("/api/catalog/products/PS%00")  # was: 500 on PostgreSQL

    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert client.get("/checkout/test/chk_%00/").status_code == 404


@pytest.mark.parametrize("query", ["after=%00", "after=a%00b", "%00=1", "q=%ED%A0%80%00"])
def test_nul_in_a_query_parameter_is_a_400(client, query):
    start = post_raw(client, START, b"{}").json()
    response = client.get(
        f"{START}/{start['id']}/messages?{query}", HTTP_AUTHORIZATION=f"Bearer {start['token']}"
    )  # was: 500 on PostgreSQL

    assert response.status_code == 400
    assert error_code(response) == "invalid_characters"


@override_settings(PARLEY_REQUEST_MAX_BYTES=1000)
def test_a_body_over_the_size_limit_is_a_413(client):
    body = json.dumps({"context": {"x": "a" * 2000}}).encode()

    response = post_raw(client, START, body)  # was: 201 for 30 MB

    assert response.status_code == 413
    assert error_code(response) == "request_too_large"
    from conversations.models import Conversation

    assert not Conversation.objects.exists()


@override_settings(PARLEY_REQUEST_MAX_BYTES=1000)
def test_the_parser_caps_a_body_sent_without_content_length():
    body = io.BytesIO(json.dumps({"x": "a" * 2000}).encode())

    with pytest.raises(InputRefused) as refused:
        JSONParser().parse(body, "application/json", {})

    assert (refused.value.code, refused.value.status_code) == ("request_too_large", 413)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("oversized", ["text", "bytes"])
def test_a_socket_frame_over_the_limit_is_refused_unread_and_the_socket_closed(oversized, settings):
    """Found by the outside attack run: a 20 MB frame was read and parsed whole (REST bodies stop
    at 1 MiB), as often as a client cared to send one. A frame at the limit is still read."""
    from asgiref.sync import async_to_sync
    from channels.testing import WebsocketCommunicator

    from config.asgi import application
    from conversations.services.conversations import conversation_start

    settings.PARLEY_SOCKET_FRAME_MAX_CHARS = 1000
    conversation, token = conversation_start()
    at_limit = json.dumps({"type": "ping", "pad": "x" * (1000 - 27)})
    assert len(at_limit) == 1000

    async def exchange():
        ws = WebsocketCommunicator(
            application, f"/ws/chat/{conversation.id}/?token={token}", headers=[(b"origin", b"http://127.0.0.1:8000")]
        )
        connected, _ = await ws.connect(timeout=30)
        assert connected
        await ws.send_to(text_data=at_limit)
        pong = await ws.receive_json_from(timeout=30)
        if oversized == "text":
            await ws.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 1000}))
        else:
            await ws.send_to(bytes_data=b"x" * 1001)
        refused = await ws.receive_json_from(timeout=30)
        closed = await ws.receive_output(timeout=30)
        await ws.wait()
        return pong, refused, closed

    pong, refused, closed = async_to_sync(exchange)()
    assert pong == {"type": "pong"}
    assert (refused["type"], refused["code"]) == ("error", "request_too_large")
    assert closed == {"type": "websocket.close", "code": 4413}
