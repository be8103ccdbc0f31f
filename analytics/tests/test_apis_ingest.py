"""POST /api/analytics/events: batches, dedupe, per-event rejection, conversation tokens, rate limit."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from analytics.models import Event
from conversations.tests.factories import ConversationFactory

URL = "/api/analytics/events"


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def chat(shop):
    conversation = ConversationFactory(channel="web", context={})
    token = conversation.token
    return conversation, token


def event(conversation_id, event_id, name="chat_opened", **extra):
    return {
        "event_id": event_id,
        "name": name,
        "occurred_at": iso(timezone.now() - timedelta(seconds=30)),
        "conversation_id": conversation_id,
        **extra,
    }


def post(api, events, token=None, **kwargs):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return api.post(URL, {"events": events}, format="json", **headers, **kwargs)


def client_events():
    return Event.objects.filter(source="client")


def test_a_batch_is_stored_with_its_dimensions(api, chat):
    conversation, token = chat
    batch = [
        event(conversation.id, "e-1"),
        event(
            conversation.id,
            "e-2",
            "action_clicked",
            action_type="checkout_now",
            psNumber="PS11750057",
            action_id="act_123",
        ),
        event(conversation.id, "e-3", "payment_link_clicked", ps_number="PS11750057", properties={"via": "button"}),
    ]

    response = post(api, batch, token)

    assert response.status_code == 200, response.json()
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    rows = {e.event_id: e for e in client_events()}
    assert set(rows) == {f"{conversation.id}:e-1", f"{conversation.id}:e-2", f"{conversation.id}:e-3"}
    clicked = rows[f"{conversation.id}:e-2"]
    assert (clicked.name, clicked.action_type, clicked.ps_number, clicked.conversation_id) == (
        "action_clicked",
        "checkout_now",
        "PS11750057",
        conversation.id,
    )
    assert clicked.properties == {"action_id": "act_123"}
    assert rows[f"{conversation.id}:e-3"].properties == {"via": "button"}
    assert abs((clicked.occurred_at - timezone.now()).total_seconds() - (-30)) < 5


def test_a_replayed_batch_is_not_counted_twice(api, chat):
    conversation, token = chat
    batch = [event(conversation.id, "e-1"), event(conversation.id, "e-2", "payment_link_clicked")]
    assert post(api, batch, token).json()["accepted"] == 2

    again = post(api, batch, token)

    assert again.status_code == 200
    assert again.json() == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert client_events().count() == 2


def test_a_repeat_inside_one_batch_is_a_duplicate(api, chat):
    conversation, token = chat
    response = post(
        api, [event(conversation.id, "same"), event(conversation.id, "same"), event(conversation.id, "x")], token
    )
    assert response.json() == {"accepted": 2, "duplicates": 1, "rejected": []}
    assert client_events().count() == 2


def test_two_conversations_may_use_the_same_client_ids(api, shop):
    first = ConversationFactory(channel="web", context={})
    first_token = first.token
    second = ConversationFactory(channel="web", context={})
    second_token = second.token
    assert post(api, [event(first.id, "1")], first_token).json()["accepted"] == 1
    assert post(api, [event(second.id, "1")], second_token).json()["accepted"] == 1
    assert client_events().count() == 2


def test_malformed_events_are_rejected_one_by_one_and_the_rest_kept(api, chat):
    conversation, token = chat
    now = timezone.now()
    cid = conversation.id
    batch = [
        event(cid, "good-1"),  # 0
        "not an object",  # 1
        {**event(cid, "x"), "event_id": ""},  # 2
        event(cid, "bad-name", "made_up"),  # 3
        event(cid, "server-name", "payment_completed"),  # 4
        {**event(cid, "naive"), "occurred_at": "2026-01-01T10:00:00"},  # 5
        {**event(cid, "future"), "occurred_at": iso(now + timedelta(hours=1))},  # 6
        {**event(cid, "old"), "occurred_at": iso(now - timedelta(days=30))},  # 7
        {**event(cid, "typo"), "ps_numbr": "PS1"},  # 8
        event(cid, "bad-part", ps_number="PS 1; DROP"),  # 9
        event(cid, "click-no-type", "action_clicked"),  # 10
        event(cid, "fat", properties={"blob": "x" * 3000}),  # 11
        {**event(cid, "no-conv"), "conversation_id": ""},  # 12
        {**event(cid, "not-a-date"), "occurred_at": "yesterday"},  # 13
        event(cid, "props-list", properties=[1, 2]),  # 14
        event(cid, "good-2", "conversation_abandoned"),  # 15
    ]

    response = post(api, batch, token)

    body = response.json()
    assert response.status_code == 200
    assert body["accepted"] == 2
    assert body["duplicates"] == 0
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [
        (1, "invalid_event"),
        (2, "invalid_event_id"),
        (3, "unknown_name"),
        (4, "server_only_name"),
        (5, "invalid_occurred_at"),
        (6, "occurred_in_future"),
        (7, "too_old"),
        (8, "unknown_field"),
        (9, "invalid_dimension"),
        (10, "invalid_dimension"),
        (11, "invalid_properties"),
        (12, "conversation_required"),
        (13, "invalid_occurred_at"),
        (14, "invalid_properties"),
    ]
    assert body["rejected"][0]["event_id"] is None
    assert body["rejected"][2]["event_id"] == "bad-name"
    assert all(r["detail"] for r in body["rejected"])
    assert sorted(e.event_id for e in client_events()) == [f"{cid}:good-1", f"{cid}:good-2"]


def test_an_event_for_another_conversation_is_refused(api, shop):
    mine = ConversationFactory(channel="web", context={})
    my_token = mine.token
    theirs = ConversationFactory(channel="web", context={})

    response = post(
        api,
        [event(mine.id, "ok"), event(theirs.id, "pollute"), event("conv_doesnotexist", "ghost")],
        my_token,
    )

    body = response.json()
    assert body["accepted"] == 1
    assert [(r["index"], r["event_id"], r["code"]) for r in body["rejected"]] == [
        (1, "pollute", "conversation_forbidden"),
        (2, "ghost", "conversation_forbidden"),
    ]
    assert list(client_events().values_list("conversation_id", flat=True)) == [mine.id]


def test_an_anonymous_event_is_refused(api, chat):
    conversation, _token = chat
    response = post(api, [event(conversation.id, "anon")])
    assert response.json()["rejected"] == [
        {
            "index": 0,
            "event_id": "anon",
            "code": "conversation_forbidden",
            "detail": "This conversation needs its own token.",
        }
    ]
    bad_token = post(api, [event(conversation.id, "anon")], "not-the-token")
    assert bad_token.json()["accepted"] == 0
    assert not client_events().exists()


def test_a_batch_over_500_is_refused_whole(api, chat):
    conversation, token = chat
    response = post(api, [event(conversation.id, f"e{i}") for i in range(501)], token)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "batch_too_large"
    assert not client_events().exists()


def test_exactly_500_is_accepted(api, chat):
    conversation, token = chat
    response = post(api, [event(conversation.id, f"e{i}") for i in range(500)], token)
    assert response.json()["accepted"] == 500
    assert client_events().count() == 500


@pytest.mark.parametrize(
    "body",
    [{"events": "nope"}, {"events": {"a": 1}}, {}, [1, 2]],
    ids=["string", "object", "missing", "top-level-list"],
)
def test_a_body_without_an_events_list_is_a_400(api, chat, body):
    _conversation, token = chat
    response = api.post(URL, body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"invalid_batch", "invalid"}


def test_a_body_that_is_not_json_is_a_400(api, chat):
    _conversation, token = chat
    response = api.generic(
        "POST", URL, "{not json", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@override_settings(PARLEY_ANALYTICS_RATE_REQUESTS=2, PARLEY_ANALYTICS_RATE_EVENTS=1000)
def test_too_many_batches_from_one_client_are_429_with_retry_after(api, chat):
    conversation, token = chat
    assert post(api, [event(conversation.id, "a")], token).status_code == 200
    assert post(api, [event(conversation.id, "b")], token).status_code == 200

    third = post(api, [event(conversation.id, "c")], token)

    assert third.status_code == 429
    assert third.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(third["Retry-After"]) <= 61
    assert client_events().count() == 2


@override_settings(PARLEY_ANALYTICS_RATE_REQUESTS=100, PARLEY_ANALYTICS_RATE_EVENTS=5)
def test_too_many_events_from_one_client_are_429(api, chat):
    conversation, token = chat
    assert post(api, [event(conversation.id, f"a{i}") for i in range(5)], token).status_code == 200
    over = post(api, [event(conversation.id, "b")], token)
    assert over.status_code == 429
    assert client_events().count() == 5


def test_the_limit_is_per_client(api, shop):
    with override_settings(PARLEY_ANALYTICS_RATE_REQUESTS=1):
        first = ConversationFactory(channel="web", context={})
        first_token = first.token
        second = ConversationFactory(channel="web", context={})
        second_token = second.token
        assert post(api, [event(first.id, "a")], first_token).status_code == 200
        assert post(api, [event(first.id, "b")], first_token).status_code == 429
        assert post(api, [event(second.id, "a")], second_token).status_code == 200


def test_server_telemetry_never_breaks_the_request_that_caused_it(db, django_capture_on_commit_callbacks, caplog):
    from analytics.services import event_record

    Event.objects.create(event_id="srv_taken", name="chat_opened", occurred_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        event_record(name="message_sent", conversation_id="conv_x", event_id="srv_taken")  # collides
        event_record(name="message_sent", conversation_id="conv_x")
    assert Event.objects.filter(name="message_sent").count() == 1
    assert "was not recorded" in caplog.text


def test_server_telemetry_waits_for_commit_and_vanishes_with_a_rollback(db, django_capture_on_commit_callbacks):
    from django.db import transaction

    from analytics.services import event_record

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                event_record(name="chat_opened", conversation_id="conv_rolled_back")
                raise RuntimeError("the caller fails")
        except RuntimeError:
            pass
    assert not Event.objects.filter(conversation_id="conv_rolled_back").exists()
