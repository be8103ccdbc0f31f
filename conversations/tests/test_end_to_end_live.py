"""One conversation end to end through real servers: Daphne, a real WebSocket client, the test
payment provider's page, its signed webhook, the order, and `payment.confirmed` on the socket.

Runs on the embedded default (SQLite, in-memory layer, eager tasks) and on PostgreSQL + Redis
with a real Celery worker processing the webhook.
"""

import json
import re

import httpx
import pytest
from websockets.sync.client import connect

from checkout.testing import TEST_CHECKOUT_FORM


def receive_until(ws, event_type, limit=20, timeout=20):
    seen = []
    for _ in range(limit):
        event = json.loads(ws.recv(timeout=timeout))
        seen.append(event["type"])
        if event["type"] == event_type:
            return event
    raise AssertionError(f"no {event_type} event; got {seen}")


def run_conversation(stack):
    http = httpx.Client(base_url=stack.base_url, timeout=30)
    conv = http.post("/api/chat/conversations", json={"channel": "web"}).json()
    auth = {"Authorization": f"Bearer {conv['token']}"}
    with connect(stack.ws_url + conv["wsUrl"], origin=stack.base_url, open_timeout=20) as ws:
        ws.send(
            json.dumps(
                {
                    "type": "message",
                    "content": "Is PS11750057 compatible with my WDT780SAEM1?",
                    "client_message_id": "e2e-1",
                }
            )
        )
        user_echo = receive_until(ws, "message")
        assert user_echo["message"]["role"] == "user"
        reply = receive_until(ws, "message")["message"]
        assert reply["role"] == "assistant"
        assert "PS11750057" in reply["content"] and "compatible with WDT780SAEM1" in reply["content"]
        assert reply["parts"][0]["psNumber"] == "PS11750057"
        [action] = reply["actions"]
        assert (action["type"], action["requiresConfirmation"]) == ("checkout_now", True)

        ws.send(json.dumps({"type": "action.click", "action_id": action["id"]}))
        assert receive_until(ws, "action.status")["status"] == "clicked"

        created = http.post("/api/checkout/session", json={"action_id": action["id"]}, headers=auth)
        assert created.status_code == 201, created.text
        checkout_url = created.json()["checkout_url"]
        assert checkout_url.startswith(stack.base_url + "/checkout/test/")

        page = http.get(checkout_url)
        assert page.status_code == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        paid = http.post(
            checkout_url,
            data={**TEST_CHECKOUT_FORM, "outcome": "pay", "csrfmiddlewaretoken": token},
            headers={"Referer": checkout_url},
        )
        assert paid.status_code == 302, paid.text

        confirmed = receive_until(ws, "payment.confirmed")
        order = confirmed["order"]
        assert order["number"].startswith("ORD-")
        card = reply["parts"][0]
        assert (order["total"], order["currency"]) == (card["price"], card["currency"])
        assert confirmed["message"]["type"] == "payment_confirmed"
        assert order["number"] in confirmed["message"]["content"]

    history = http.get(f"/api/chat/conversations/{conv['id']}/messages", headers=auth).json()["messages"]
    assert [m["type"] for m in history][-1] == "payment_confirmed"
    assert history[2]["actions"][0]["status"] == "succeeded"
    # Paying again on the same page does not make a second order.
    again = http.post(
        checkout_url,
        data={**TEST_CHECKOUT_FORM, "outcome": "pay", "csrfmiddlewaretoken": token},
        headers={"Referer": checkout_url},
    )
    assert again.status_code == 409
    return order


def test_conversation_to_order_on_the_embedded_default(live_sqlite):
    run_conversation(live_sqlite)


@pytest.mark.postgres
@pytest.mark.redis
def test_conversation_to_order_on_postgres_redis_and_a_celery_worker(live_postgres_redis):
    order = run_conversation(live_postgres_redis)
    # The webhook was processed by the worker, not the web process.
    worker_logs = [p.read_text() for p in live_postgres_redis.log_paths() if "worker" in p.name]
    assert any(re.search(r"webhook_event_process_task\[[^\]]+\] succeeded", log) for log in worker_logs)
    orders = live_postgres_redis.run_manage(
        "shell", "-v", "0", "-c", "from checkout.models import Order; print([o.number for o in Order.objects.all()])"
    )
    assert orders.strip() == str([order["number"]])
