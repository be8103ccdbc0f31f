"""Outbound channels: web push, WhatsApp Cloud API (against a local stub) and email."""

import pytest
from django.core import mail

from conversations.tests.factories import whatsapp_window_open_for
from conversations.tests.whatsapp_stub import WhatsAppStub
from core.outbound import OutboundMessage, outbound_send
from core.realtime import conversation_group
from core.testing.fixtures import Pushed


@pytest.fixture
def whatsapp(settings, db):
    whatsapp_window_open_for("+15551234567")  # the customer wrote a moment ago: any message may go
    with WhatsAppStub() as stub:
        settings.WHATSAPP_API_BASE = stub.url + "/v21.0"
        settings.WHATSAPP_TOKEN = "wa-test-token"
        settings.WHATSAPP_PHONE_NUMBER_ID = "1234567890"
        yield stub


def whatsapp_message(**overrides) -> OutboundMessage:
    values = {
        "channel": "whatsapp",
        "to": "+15551234567",
        "text": "Your refund was approved.",
        "conversation_id": "conv_x",
        "idempotency_key": "resp-1",
    }
    values.update(overrides)
    return OutboundMessage(**values)


def test_whatsapp_sends_a_text_message_with_the_bearer_token(whatsapp):
    result = outbound_send(message=whatsapp_message())

    assert result.is_success and result.external_id == "wamid.stub1"
    (request,) = whatsapp.requests
    assert request["path"] == "/v21.0/1234567890/messages"
    assert request["headers"]["Authorization"] == "Bearer wa-test-token"
    assert request["json"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "15551234567",
        "type": "text",
        "text": {"preview_url": False, "body": "Your refund was approved."},
    }


def test_whatsapp_4xx_is_a_final_failure_with_the_api_message(whatsapp):
    whatsapp.respond_with = (400, {"error": {"message": "Recipient phone number not in allowed list", "code": 131030}})

    result = outbound_send(message=whatsapp_message())

    assert not result.is_success and not result.retryable
    assert "400" in result.error and "not in allowed list" in result.error


@pytest.mark.parametrize("status", [500, 503, 429])
def test_whatsapp_5xx_and_throttling_are_retryable(whatsapp, status):
    whatsapp.respond_with = (status, {"error": {"message": "Service temporarily unavailable"}})

    result = outbound_send(message=whatsapp_message())

    assert not result.is_success and result.retryable
    assert str(status) in result.error


def test_whatsapp_timeout_is_retryable(whatsapp, monkeypatch):
    import httpx

    from conversations.outbound import whatsapp as module

    monkeypatch.setattr(module, "TIMEOUT", httpx.Timeout(0.2))
    whatsapp.delay = 1.0

    result = outbound_send(message=whatsapp_message())

    assert not result.is_success and result.retryable and "timed out" in result.error


def test_whatsapp_unreachable_server_is_retryable(settings):
    settings.WHATSAPP_API_BASE = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.WHATSAPP_TOKEN = "t"
    settings.WHATSAPP_PHONE_NUMBER_ID = "1"

    result = outbound_send(message=whatsapp_message())

    assert not result.is_success and result.retryable


def test_whatsapp_is_off_without_token_and_phone_id(settings):
    settings.WHATSAPP_TOKEN = ""
    settings.WHATSAPP_PHONE_NUMBER_ID = "1"

    result = outbound_send(message=whatsapp_message())

    assert not result.is_success and not result.retryable
    assert "not configured" in result.error


def test_whatsapp_refuses_an_address_that_is_not_a_phone_number(whatsapp):
    result = outbound_send(message=whatsapp_message(to="someone@example.com"))

    assert not result.is_success and not result.retryable
    assert whatsapp.requests == []


def test_email_goes_through_django_email_backend():
    result = outbound_send(
        message=OutboundMessage(
            channel="email",
            to="ann@example.com",
            subject="About your refund",
            text="Your refund was approved.",
            idempotency_key="resp-2",
        )
    )

    assert result.is_success
    (sent,) = mail.outbox
    assert sent.to == ["ann@example.com"]
    assert sent.subject == "About your refund"
    assert sent.body == "Your refund was approved."
    assert sent.extra_headers["Message-ID"] == "<resp-2@parley>"


def test_email_without_subject_names_the_shop(settings):
    settings.PARLEY_SHOP_NAME = "Acme Parts"

    outbound_send(message=OutboundMessage(channel="email", to="ann@example.com", text="Hi"))

    assert mail.outbox[0].subject == "A message from Acme Parts"


def test_email_refuses_a_bad_address():
    result = outbound_send(message=OutboundMessage(channel="email", to="not-an-address", text="Hi"))

    assert not result.is_success and not result.retryable
    assert mail.outbox == []


def test_unknown_channel_is_a_final_failure():
    result = outbound_send(message=OutboundMessage(channel="carrier-pigeon", to="x", text="Hi"))

    assert not result.is_success and not result.retryable and "carrier-pigeon" in result.error


@pytest.mark.django_db
def test_web_pushes_the_event_to_the_conversation_group(capture_realtime, django_capture_on_commit_callbacks):
    event = {"type": "message", "seq": 7, "message": {"id": "msg_1", "role": "assistant", "content": "Approved."}}

    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        result = outbound_send(
            message=OutboundMessage(
                channel="web", to="conv_web1", text="Approved.", conversation_id="conv_web1", extra={"event": event}
            )
        )

    assert result.is_success
    assert capture_realtime.pushed == [Pushed(conversation_group("conv_web1"), event)]


def test_web_without_a_conversation_is_refused():
    result = outbound_send(message=OutboundMessage(channel="web", to="", text="Hi"))

    assert not result.is_success and not result.retryable


def test_a_channel_that_raises_gives_a_retryable_failure(monkeypatch):
    from core import outbound as registry

    def explode(message):
        raise RuntimeError("boom")

    monkeypatch.setattr(registry.CHANNELS["web"], "send", explode)

    result = outbound_send(message=OutboundMessage(channel="web", to="conv_1", text="Hi", conversation_id="conv_1"))

    assert not result.is_success and result.retryable and "boom" in result.error
