"""The one push entry point: after commit, never for a rollback; streamed tokens at once."""

import pytest
from django.db import transaction

from core import realtime

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_push_waits_for_the_commit_and_a_rollback_sends_nothing(capture_realtime):
    with transaction.atomic():
        realtime.send_event_on_commit("conversation.a", {"type": "message", "seq": 1})
        assert capture_realtime.pushed == []
    assert capture_realtime.events(group="conversation.a") == [{"type": "message", "seq": 1}]

    with pytest.raises(RuntimeError), transaction.atomic():
        realtime.send_event_on_commit("conversation.a", {"type": "message", "seq": 2})
        raise RuntimeError("rolled back")
    assert capture_realtime.types() == ["message"]


def test_an_event_built_after_commit_sees_the_committed_state_and_none_sends_nothing(capture_realtime):
    state = {"status": "before"}
    with transaction.atomic():
        realtime.send_event_on_commit("operators", lambda: {"type": "operator.action", **state})
        realtime.send_event_on_commit("operators", lambda: None)
        state["status"] = "committed"
    assert capture_realtime.events(group="operators") == [{"type": "operator.action", "status": "committed"}]


def test_a_failing_builder_is_logged_and_the_commit_stands(capture_realtime, caplog):
    with transaction.atomic():
        realtime.send_event_on_commit("operators", lambda: 1 / 0)
        realtime.send_event_on_commit("operators", {"type": "typing", "active": False})
    assert capture_realtime.types() == ["typing"]
    assert "could not be built" in caplog.text


def test_streamed_tokens_go_at_once_even_inside_a_transaction(capture_realtime):
    with transaction.atomic():
        realtime.stream_now("conversation.a", {"type": "token", "seq": 1, "delta": "Hi"})
        assert capture_realtime.types() == ["token"]


def test_a_conversation_event_without_its_seq_is_refused():
    with pytest.raises(AssertionError, match="seq"):
        realtime.stream_now("conversation.a", {"type": "typing", "active": True})
    with pytest.raises(AssertionError, match="seq"):
        realtime.send_event_on_commit("conversation.a", {"type": "message", "seq": True})
    realtime.stream_now("operators", {"type": "operator.action"})  # the inbox has no seq
