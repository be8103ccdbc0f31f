"""Concurrent messages in one conversation on PostgreSQL (row locks for real): every message gets
its own seq, with no hole, and each push names its message's seq."""

import threading

import pytest
from django.db import connection

from conversations.models import Conversation, Message
from conversations.services.conversations import conversation_start
from conversations.services.messages import conversation_message_create
from core.realtime import conversation_group

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_messages_get_distinct_contiguous_seqs(capture_realtime):
    assert connection.vendor == "postgresql"
    conversation, _ = conversation_start()
    writers, each = 8, 5
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            mine = Conversation.objects.get(pk=conversation.pk)
            barrier.wait(timeout=10)
            for k in range(each):
                conversation_message_create(conversation=mine, role="user", content=f"writer {n} message {k}")
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    seqs = list(Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, writers * each + 2))  # the welcome is 1
    assert Conversation.objects.get(pk=conversation.pk).last_seq == seqs[-1]
    pushed = capture_realtime.events(group=conversation_group(conversation.id), type="message")
    assert sorted(event["seq"] for event in pushed) == seqs
    assert all(event["seq"] == event["message"]["seq"] for event in pushed)
