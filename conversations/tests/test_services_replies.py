"""Exactly one reply per client_message_id and a message limit that holds, whatever the timing.

The races run on PostgreSQL (real row locks and unique-index waits), through the REST API from
parallel threads, as racing retries from a flaky connection would arrive."""

import threading
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from conversations.enums import Role
from conversations.models import Message
from conversations.services.conversations import conversation_start

RETRIES = 50


def _race(count: int, send) -> list:
    barrier = threading.Barrier(count)
    results, lock = [], threading.Lock()

    def run(index):
        try:
            barrier.wait(timeout=30)
            outcome = send(index)
        except Exception as exc:  # a crash in the client is a result too, and must not happen
            outcome = repr(exc)
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _post(conversation, token, body):
    client = APIClient()
    return client.post(
        f"/api/chat/conversations/{conversation.id}/messages", body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_retries_get_one_reply_per_client_message_id(shop, settings):
    assert connection.vendor == "postgresql"
    settings.PARLEY_RATE_LIMIT_PER_MINUTE = 0
    conversation, token = conversation_start()
    double_replies, answers = 0, []
    for index, question in enumerate(
        ["Is PS11750057 in stock?", "How do I install PS11752778?", "Price of PS11750058?"]
    ):
        client_id = f"retry-{index}"

        def send(_):
            response = _post(conversation, token, {"content": question, "client_message_id": client_id})
            return response.status_code, response.json()

        results = _race(RETRIES, send)

        assert [status for status, _ in results] == [201] * RETRIES, results[:3]
        replies = {body["reply"]["id"] for _, body in results}
        assert len(replies) == 1  # every retry was answered with the same, single reply
        user = Message.objects.get(conversation=conversation, client_message_id=client_id)
        stored = Message.objects.filter(conversation=conversation, role=Role.ASSISTANT, metadata__reply_to=user.id)
        double_replies += stored.count() - 1
        answers.append(stored.get().id)
    print(f"racing retries: {len(answers)} messages x {RETRIES} sends, double replies: {double_replies}")
    assert double_replies == 0
    assert Message.objects.filter(conversation=conversation, role=Role.USER).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_messages_cannot_pass_the_limit_together(shop, settings):
    settings.PARLEY_RATE_LIMIT_PER_MINUTE = 20
    conversation, token = conversation_start()

    results = _race(40, lambda i: _post(conversation, token, {"content": f"hello {i}"}).status_code)

    assert sorted(results) == [201] * 20 + [429] * 20
    assert Message.objects.filter(conversation=conversation, role=Role.USER).count() == 20


@pytest.mark.django_db
def test_a_retry_takes_over_an_exchange_whose_owner_is_gone(shop):
    conversation, token = conversation_start()
    from conversations.services.messages import conversation_message_create

    orphan = conversation_message_create(  # stored, then its request died before replying
        conversation=conversation,
        role=Role.USER,
        content="Is PS11750057 in stock?",
        client_message_id="c-1",
        metadata={"reply_lease_until": time.time() - 1},
    )

    response = _post(conversation, token, {"content": "Is PS11750057 in stock?", "client_message_id": "c-1"})

    assert response.status_code == 201
    assert response.json()["message"]["id"] == orphan.id
    assert Message.objects.filter(role=Role.ASSISTANT, metadata__reply_to=orphan.id).count() == 1


@pytest.mark.django_db
def test_a_retry_that_outwaits_a_live_owner_gets_409_not_a_second_reply(shop, settings):
    settings.PARLEY_REPLY_WAIT_SECONDS = 0.2
    conversation, token = conversation_start()
    from conversations.services.messages import conversation_message_create

    pending = conversation_message_create(  # its owner is still drafting (lease valid)
        conversation=conversation,
        role=Role.USER,
        content="Is PS11750057 in stock?",
        client_message_id="c-2",
        metadata={"reply_lease_until": time.time() + 60},
    )

    response = _post(conversation, token, {"content": "Is PS11750057 in stock?", "client_message_id": "c-2"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "reply_in_progress"
    assert not Message.objects.filter(role=Role.ASSISTANT, metadata__reply_to=pending.id).exists()


@pytest.mark.django_db
def test_an_owner_that_fails_lets_the_next_retry_answer(shop, monkeypatch):
    from conversations.services import replies

    conversation, _ = conversation_start()
    real = replies.draft_reply

    def broken(**kwargs):
        raise RuntimeError("engine down")

    monkeypatch.setattr(replies, "draft_reply", broken)
    with pytest.raises(RuntimeError):
        replies.customer_message_handle(
            conversation=conversation, content="Is PS11750057 in stock?", client_message_id="c-3"
        )
    monkeypatch.setattr(replies, "draft_reply", real)

    message, reply = replies.customer_message_handle(
        conversation=conversation, content="Is PS11750057 in stock?", client_message_id="c-3"
    )

    assert reply.metadata["reply_to"] == message.id
    assert Message.objects.filter(conversation=conversation, role=Role.USER).count() == 1
