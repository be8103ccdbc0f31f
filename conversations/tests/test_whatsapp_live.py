"""WhatsApp end to end on the production topology: Meta's signed webhook over HTTP to Daphne,
events processed by a real Celery worker on PostgreSQL + Redis, replies sent through the outbox to
the local Cloud API stub (real HTTP), paid on the offline provider's hosted page, the payment
confirmation back on WhatsApp, status callbacks on the sent messages."""

import json
import re

import httpx
import pytest

from checkout.testing import TEST_CHECKOUT_FORM
from conversations.tests import whatsapp_webhooks as wh
from conversations.tests.whatsapp_stub import WhatsAppStub
from core.testing.live import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def post(http: httpx.Client, body: dict, signature: str | None = None) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature or wh.sign(raw)}
    return http.post("/webhooks/whatsapp", content=raw, headers=headers)


def test_whatsapp_loop_through_daphne_celery_and_the_cloud_api_stub(live_stack_factory):
    with WhatsAppStub() as stub:
        stack = live_stack_factory(
            database="postgres",
            redis=True,
            celery_worker=True,
            extra_env={
                "WHATSAPP_API_BASE": stub.url + "/v21.0",
                "WHATSAPP_TOKEN": "wa-live-token",
                "WHATSAPP_PHONE_NUMBER_ID": wh.PHONE_NUMBER_ID,
                "WHATSAPP_APP_SECRET": wh.APP_SECRET,
                "WHATSAPP_VERIFY_TOKEN": wh.VERIFY_TOKEN,
            },
        )
        with httpx.Client(base_url=stack.base_url, timeout=30) as http:
            challenge = http.get(
                "/webhooks/whatsapp",
                params={"hub.mode": "subscribe", "hub.verify_token": wh.VERIFY_TOKEN, "hub.challenge": "987654"},
            )
            assert (challenge.status_code, challenge.text) == (200, "987654")

            forged = post(http, wh.envelope(messages=[wh.text("hi")]), signature="sha256=" + "ab" * 32)
            assert forged.status_code == 401 and forged.json()["error"]["code"] == "whatsapp_signature_invalid"

            question = wh.envelope(messages=[wh.text("Is PS11750057 compatible with my WDT780SAEM1?")])
            first = post(http, question)
            assert first.json() == {"received": True, "stored": 1, "duplicates": 0}
            assert post(http, question).json() == {"received": True, "stored": 0, "duplicates": 1}  # Meta retried

            wait_for(lambda: len(stub.requests) >= 1, what="the reply on WhatsApp")
            reply = stub.requests[0]["json"]
            assert reply["type"] == "interactive" and reply["interactive"]["type"] == "button"
            assert "compatible with WDT780SAEM1" in reply["interactive"]["body"]["text"]
            (button,) = reply["interactive"]["action"]["buttons"]
            assert button["reply"]["title"] == "Checkout now"

            # Callbacks out of order: read before delivered.
            post(http, wh.envelope(statuses=[wh.status("wamid.stub1", "read")]))
            post(http, wh.envelope(statuses=[wh.status("wamid.stub1", "delivered")]))

            post(http, wh.envelope(messages=[wh.tap(button["reply"]["id"], button["reply"]["title"])]))
            wait_for(lambda: len(stub.requests) >= 2, what="the checkout link on WhatsApp")
            cta = stub.requests[1]["json"]["interactive"]
            assert cta["type"] == "cta_url"
            checkout_url = cta["action"]["parameters"]["url"]
            assert checkout_url.startswith(stack.base_url + "/checkout/test/")

            page = http.get(checkout_url)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            paid = http.post(
                checkout_url,
                data={**TEST_CHECKOUT_FORM, "outcome": "pay", "csrfmiddlewaretoken": token},
                headers={"Referer": checkout_url},
            )
            assert paid.status_code == 302, paid.text

            wait_for(lambda: len(stub.requests) >= 3, what="the payment confirmation on WhatsApp")
            confirmation = stub.requests[2]["json"]
            assert confirmation["to"] == "15551234567"
            assert confirmation["text"]["body"].startswith("Payment received")
            assert re.search(r"Order ORD-\w+", confirmation["text"]["body"])

        ((status,),) = stack.sql("SELECT status FROM conversations_whatsappmessage WHERE wamid = 'wamid.stub1'")
        ((customer_messages,),) = stack.sql("SELECT count(*) FROM conversations_message WHERE role = 'user'")
        assert status == "read" and customer_messages == 2  # the question and the tap, each once
        assert len(stub.requests) == 3
