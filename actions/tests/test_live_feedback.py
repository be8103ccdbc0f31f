"""Real processes: concurrent decisions on PostgreSQL, and a worker killed mid-delivery."""

import asyncio
import json
import signal
import threading
import time

import httpx
import pytest
import websockets
from django.db import connection

from conversations.tests.whatsapp_stub import WhatsAppStub
from core.testing.live import wait_for

SETUP = """
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from actions.models import Action
from actions.services.clicks import action_click
from django.utils import timezone
from conversations.models import Customer, WhatsAppContact
from conversations.services.conversations import conversation_start
from conversations.services.messages import conversation_message_create

operator = get_user_model().objects.create_user(username="olga", password="x-12345678", is_staff=True)
customer = Customer.objects.create(name="Wanda", phone="+15550001111")
# Wanda wrote on WhatsApp a moment ago: the 24-hour window is open, a plain text may go.
WhatsAppContact.objects.create(phone=customer.phone, customer=customer, last_inbound_at=timezone.now())
conversation, token = conversation_start(channel="whatsapp", customer=customer)
message = conversation_message_create(conversation=conversation, role="assistant", content="Shall I ask?")
action = Action.objects.create(conversation=conversation, message=message, type="policy_exception",
                               label="Late return", payload={"reason": "late"}, status="rendered")
action_click(action=action)
print(json.dumps({"token": token, "conversation": conversation.id, "action": action.id,
                  "api_token": Token.objects.create(user=operator).key}))
"""


def action_state(stack, action_id: str) -> dict:
    """What the stack's database holds for the action: its status, its response's outbox
    delivery (with each try), and the replies it put in the conversation."""
    ((status, conversation_id),) = stack.sql(
        "SELECT status, conversation_id FROM actions_action WHERE id = %s", [action_id]
    )
    deliveries = stack.sql(
        "SELECT d.id, d.status, d.attempts FROM core_outbounddelivery d"
        " JOIN actions_actionresponse r ON r.delivery_id = d.id WHERE r.action_id = %s ORDER BY d.created_at DESC",
        [action_id],
    )
    tries = "SELECT status FROM core_outboundattempt WHERE delivery_id = %s ORDER BY started_at, id"
    replies = stack.sql(
        "SELECT content FROM conversations_message WHERE conversation_id = %s AND role = 'assistant'"
        " AND metadata ->> 'action_id' = %s ORDER BY seq",
        [conversation_id, action_id],
    )
    return {
        "status": status,
        "responses": [
            {"status": state, "attempts": attempts, "tries": [row[0] for row in stack.sql(tries, [pk])]}
            for pk, state, attempts in deliveries
        ],
        "replies": [row[0] for row in replies],
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_decisions_exactly_one_wins(pending_action, operator, django_user_model):
    from actions.exceptions import ActionAlreadyDecided
    from actions.models import Action, ActionResponse
    from actions.services.feedback import action_feedback_apply

    assert connection.vendor == "postgresql"
    second_operator = django_user_model.objects.create_user(username="omar", password="x-12345678", is_staff=True)
    for _round in range(5):
        action = pending_action(type="policy_exception", payload={"reason": f"r{_round}"})
        barrier = threading.Barrier(2)
        outcomes = []

        def decide(user, decision, action_id=action.pk):
            try:
                barrier.wait()
                action_feedback_apply(action=Action.objects.get(pk=action_id), decision=decision, operator=user)
                outcomes.append(("won", decision))
            except ActionAlreadyDecided:
                outcomes.append(("409", decision))
            finally:
                connection.close()

        threads = [
            threading.Thread(target=decide, args=(operator, "approved")),
            threading.Thread(target=decide, args=(second_operator, "denied")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

        assert sorted(o[0] for o in outcomes) == ["409", "won"]
        winner = next(d for kind, d in outcomes if kind == "won")
        action.refresh_from_db()
        assert action.transitions.filter(to_status__in=["approved", "denied"]).count() == 1
        assert ActionResponse.objects.filter(action=action).count() == 1
        assert ActionResponse.objects.get(action=action).outcome == winner


@pytest.mark.postgres
@pytest.mark.redis
def test_a_worker_killed_mid_delivery_then_restarted_tells_the_customer_exactly_once(live_stack_factory):
    with WhatsAppStub() as whatsapp:
        stack = live_stack_factory(
            database="postgres",
            redis=True,
            celery_worker=True,
            extra_env={
                "WHATSAPP_API_BASE": whatsapp.url,
                "WHATSAPP_TOKEN": "tok",
                "WHATSAPP_PHONE_NUMBER_ID": "42",
                "PARLEY_TEST_OUTBOUND_DELAY_SECONDS": "4",
                # Longer than the slowed send, short enough for the test to outwait.
                "OUTBOX_LEASE_SECONDS": "8",
            },
        )
        ids = json.loads(stack.run_manage("shell", "-c", SETUP).strip().splitlines()[-1])

        def state():
            return action_state(stack, ids["action"])

        frames: list[dict] = []
        stop = asyncio.Event()

        async def customer_socket():
            url = f"{stack.ws_url}/ws/chat/{ids['conversation']}/?token={ids['token']}"
            async with websockets.connect(url, origin=stack.base_url) as socket:
                connected.set()
                while not stop.is_set():
                    try:
                        frames.append(json.loads(await asyncio.wait_for(socket.recv(), 0.2)))
                    except TimeoutError:
                        continue

        connected = threading.Event()
        loop = asyncio.new_event_loop()
        listener = threading.Thread(target=lambda: loop.run_until_complete(customer_socket()), daemon=True)
        listener.start()
        assert connected.wait(20)

        response = httpx.post(
            stack.url(f"/api/actions/{ids['action']}/feedback"),
            json={"decision": "approved", "reply_text": "Just this once."},
            headers={"Authorization": f"Token {ids['api_token']}"},
            timeout=20,
        )
        assert response.status_code == 200, response.text

        # The worker claims the delivery (committed) and sits in the (slowed) send: kill it there.
        wait_for(
            lambda: "outbox_deliveries_send_task" in stack.worker.log_path.read_text(errors="replace"),
            timeout=30,
            what="the worker to take the delivery",
        )
        time.sleep(1.0)
        stack.kill_worker(signal.SIGKILL)
        assert whatsapp.requests == []
        killed = state()
        assert killed["responses"] == [{"status": "sending", "attempts": 1, "tries": ["sending"]}]
        assert killed["replies"] == [] and killed["status"] == "approved"

        stack.start_worker()

        # The redelivery of the lost message would only come after Redis' visibility timeout:
        # the outbox's reconcile (beat, or this command) hands the delivery to the new worker
        # once the dead worker's lease has run out (core/tests/test_outbox.py: not before).
        def reconciled_and_succeeded():
            stack.run_manage("outbox_reconcile", "--grace-seconds=0", "--queue")
            return state()["status"] == "succeeded"

        wait_for(reconciled_and_succeeded, timeout=60, every=1.0, what="the reconciled delivery to succeed")
        stack.run_manage("outbox_reconcile", "--grace-seconds=0", "--queue")  # nothing left: no repeat
        time.sleep(1.0)

        final = state()
        assert final["responses"] == [{"status": "sent", "attempts": 2, "tries": ["abandoned", "sent"]}]
        assert len(final["replies"]) == 1 and final["replies"][0].endswith("Just this once.")
        assert len(whatsapp.requests) == 1
        assert whatsapp.texts() == final["replies"]

        wait_for(lambda: any(f.get("status") == "succeeded" for f in frames), timeout=10, what="the succeeded frame")
        stop.set()
        listener.join(5)
        replies = [f for f in frames if f["type"] == "message" and f["message"]["role"] == "assistant"]
        assert [r["message"]["content"] for r in replies] == final["replies"]
        statuses = [f["status"] for f in frames if f["type"] == "action.status"]
        assert statuses == ["approved", "succeeded"]
