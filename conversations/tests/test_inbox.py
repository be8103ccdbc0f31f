"""The operator inbox's conversation list: who, where, when, unread per operator, views, search."""

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from checkout.tests.factories import OrderFactory
from conversations.enums import Role
from conversations.inbox.selectors import inbox_conversations_list
from conversations.models import Customer
from conversations.services.operators import conversation_read_mark
from conversations.tests.factories import ConversationFactory, MessageFactory
from conversations.tests.test_operator import operator_socket, receive_until, session_cookie
from core.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def operators(django_user_model):
    olga = django_user_model.objects.create_user(username="olga", password="pw-olga-1234", is_staff=True)
    omar = django_user_model.objects.create_user(username="omar", password="pw-omar-1234", is_staff=True)
    return olga, omar


def says(conversation, text, role=Role.USER):
    return MessageFactory(conversation=conversation, role=role, content=text)


@pytest.fixture
def customers():
    ann = ConversationFactory(customer_name="Ann Lee", customer_email="ann@example.com")
    Customer.objects.filter(pk=ann.customer_id).update(phone="+15551234567")
    says(ann, "My dishwasher rack is broken")
    bob = ConversationFactory(customer_name="Bob Stone", customer_email="bob@shop.test", channel="whatsapp")
    says(bob, "Where is my ice maker?")
    says(bob, "Hello?")
    quiet = ConversationFactory(customer_name="Quiet")  # only the welcome: listed, nothing unread
    return ann, bob, quiet


def test_rows_show_the_customer_channel_time_and_unread(operators, customers):
    olga, _ = operators
    ann, bob, quiet = customers

    rows = {c.id: c for c in inbox_conversations_list(operator=olga)}

    assert list(rows)[:2] == [quiet.id, bob.id]  # latest activity first
    row = rows[bob.id]
    assert (row.customer.name, row.customer.email, row.channel, row.unread) == (
        "Bob Stone",
        "bob@shop.test",
        "whatsapp",
        2,
    )
    assert (row.last_role, row.last_content) == ("user", "Hello?")
    assert rows[ann.id].customer.phone == "+15551234567" and rows[ann.id].unread == 1
    assert rows[quiet.id].unread == 0


def test_unread_is_per_operator_and_only_moves_forward(operators, customers):
    olga, omar = operators
    ann, bob, _ = customers

    assert conversation_read_mark(operator=olga, conversation_id=bob.id) == bob.last_seq
    assert conversation_read_mark(operator=olga, conversation_id=bob.id, seq=1) == bob.last_seq  # a late mark

    unread = {c.id: c.unread for c in inbox_conversations_list(operator=olga)}
    assert unread[bob.id] == 0 and unread[ann.id] == 1
    assert {c.id: c.unread for c in inbox_conversations_list(operator=omar)}[bob.id] == 2

    says(bob, "Anyone?")
    assert {c.id: c.unread for c in inbox_conversations_list(operator=olga)}[bob.id] == 1


def test_views_waiting_mine_open_resolved(operators, customers):
    from conversations.services.handoff import handoff_claim, handoff_request, handoff_resolve

    olga, omar = operators
    ann, bob, quiet = customers
    handoff_request(conversation=bob)  # waiting for a person
    handoff_request(conversation=ann)
    handoff_claim(conversation_id=ann.id, operator=olga)
    handoff_request(conversation=quiet)
    handoff_claim(conversation_id=quiet.id, operator=omar)
    handoff_resolve(conversation_id=quiet.id, actor=omar)

    def ids(view, operator=olga):
        return [c.id for c in inbox_conversations_list(operator=operator, view=view)]

    assert ids("waiting") == [bob.id]
    assert ids("mine") == [ann.id] and ids("mine", omar) == []
    assert ids("resolved") == [quiet.id]
    assert ids("open")[:2] == [bob.id, ann.id] or ids("open")[:2] == [ann.id, bob.id]  # a person's first
    assert ids("open")[2] == quiet.id and set(ids("all")) == {ann.id, bob.id, quiet.id}
    (row,) = [c for c in inbox_conversations_list(operator=olga, view="mine")]
    assert (row.handling, row.assignee_id) == ("assigned", olga.pk)


@pytest.mark.parametrize(
    "query, who",
    [
        ("ann lee", "ann"),
        ("STONE", "bob"),
        ("bob@shop", "bob"),
        ("555 123", "ann"),
        ("+1 (555) 123-4567", "ann"),
        ("ice maker", "bob"),
        ("RACK IS", "ann"),
        ("nobody-here", None),
    ],
)
def test_search_by_name_email_phone_and_text(operators, customers, query, who):
    ann, bob, _ = customers
    found = [c.id for c in inbox_conversations_list(operator=operators[0], query=query)]
    assert found == ({"ann": [ann.id], "bob": [bob.id], None: []}[who])


def test_search_by_order_number(operators, customers):
    _ann, bob, _ = customers
    order = OrderFactory(conversation=bob)
    OrderFactory()  # someone else's

    assert [c.id for c in inbox_conversations_list(operator=operators[0], query=order.number.lower())] == [bob.id]


def test_two_letters_do_not_search_message_text(operators, customers):
    _ann, bob, _ = customers
    assert [c.id for c in inbox_conversations_list(operator=operators[0], query="ic")] == []  # "ice", in text only
    assert [c.id for c in inbox_conversations_list(operator=operators[0], query="bo")] == [bob.id]  # a name


def test_the_api_lists_searches_and_refuses_bad_input(api, operators, customers):
    _ann, bob, _ = customers
    assert api.get("/api/operator/conversations").status_code == 401
    api.force_authenticate(operators[0])

    body = api.get("/api/operator/conversations", {"q": "bob"}).json()

    (row,) = body["conversations"]
    last = row["lastMessage"]
    assert row == {
        "id": bob.id,
        "channel": "whatsapp",
        "channelLabel": "WhatsApp",
        "status": "open",
        "handling": "bot",
        "assignee": None,
        "customer": {"id": bob.customer_id, "name": "Bob Stone", "email": "bob@shop.test", "phone": ""},
        "lastMessageAt": row["lastMessageAt"],
        "lastMessage": {
            "id": last["id"],
            "seq": 3,
            "role": "user",
            "content": "Hello?",
            "createdAt": last["createdAt"],
        },
        "unread": 2,
    }
    for params in ({"view": "everything"}, {"q": "x" * 101}):
        response = api.get("/api/operator/conversations", params)
        assert response.status_code == 400, params
        assert response.json()["error"]["code"] == "inbox_query_invalid"
    assert api.get("/api/operator/conversations", {"q": "a\x00b"}).status_code == 400


def test_an_unknown_conversation_cannot_be_marked_read(operators):
    with pytest.raises(ApplicationError) as caught:
        conversation_read_mark(operator=operators[0], conversation_id="conv_nope")
    assert caught.value.code == "conversation_not_found"


@pytest.mark.postgres
def test_search_reads_trigram_indexes_on_postgresql(operators, customers):
    """The plan, with sequential scans priced out, reaches each text through its GIN index."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    from conversations.inbox.selectors import _search_filter
    from conversations.models import Conversation

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = Conversation.objects.filter(_search_filter("dishwasher")).explain()
    for index in ("customer_name_trgm", "customer_email_trgm", "message_content_trgm"):
        assert index in plan, plan


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_socket_snapshot_has_unread_rows_and_decisions_and_opening_reads():
    _operator, cookie = await session_cookie("olga")

    @database_sync_to_async
    def setup():
        conversation = ConversationFactory(customer_name="Ann Lee")
        says(conversation, "First")
        says(conversation, "Second")
        return conversation

    conversation = await setup()
    ws, connected, _ = await operator_socket(cookie)
    assert connected
    snapshot = await ws.receive_json_from(timeout=5)
    (row,) = [c for c in snapshot["conversations"] if c["id"] == conversation.id]
    assert row["unread"] == 2 and row["customer"]["name"] == "Ann Lee"
    assert snapshot["decided"] == []

    await ws.send_json_to({"type": "conversation.open", "conversation_id": conversation.id})
    await receive_until(ws, "operator.messages")
    await ws.send_json_to({"type": "snapshot"})
    snapshot = await receive_until(ws, "operator.snapshot")
    assert [c["unread"] for c in snapshot["conversations"] if c["id"] == conversation.id] == [0]

    await ws.send_json_to({"type": "conversation.read", "conversation_id": conversation.id, "seq": "3"})
    error = await receive_until(ws, "error")
    assert error["code"] == "read_invalid"
    await ws.send_json_to({"type": "conversation.read", "conversation_id": conversation.id, "seq": 1})
    read = await receive_until(ws, "operator.read")
    assert read["seq"] == conversation.last_seq == 3  # never back: it was read to the end
    await ws.disconnect()


def test_a_customer_message_pushes_its_line_as_committed(
    operators, capture_realtime, django_capture_on_commit_callbacks
):
    """The live line says who holds the conversation now, even when the caller's copy is older."""
    from conversations.models import Conversation
    from conversations.services.handoff import handoff_claim, handoff_request
    from core.realtime import OPERATORS_GROUP

    olga, _ = operators
    conversation = ConversationFactory(customer_name="Ann Lee", customer_email="ann@example.com")
    stale_copy = Conversation.objects.get(pk=conversation.pk)  # read before anyone took it
    handoff_request(conversation=conversation)
    handoff_claim(conversation_id=conversation.id, operator=olga)

    with django_capture_on_commit_callbacks(execute=True):
        says(stale_copy, "Are you there?")

    (event,) = [e for e in capture_realtime.events(group=OPERATORS_GROUP) if e["type"] == "operator.conversation"]
    line = event["conversation"]
    assert (line["handling"], line["assignee"]["id"], line["unread"]) == ("assigned", olga.pk, None)
    assert line["lastMessage"]["content"] == "Are you there?" and line["customer"]["name"] == "Ann Lee"


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_operator_socket_forwards_whatsapp_delivery_and_stays_open():
    """A status callback's `operator.delivery` reaches the inbox (it had no handler: the socket died)."""
    from channels.layers import get_channel_layer

    from core.realtime import OPERATORS_GROUP

    _, cookie = await session_cookie("olga")
    ws, connected, _ = await operator_socket(cookie)
    assert connected
    await ws.receive_json_from(timeout=5)  # snapshot
    delivery = {"channel": "whatsapp", "status": "read", "at": None, "error": ""}
    event = {"type": "operator.delivery", "conversationId": "conv_x", "messageId": "msg_x", "delivery": delivery}

    await get_channel_layer().group_send(OPERATORS_GROUP, event)

    assert (await receive_until(ws, "operator.delivery"))["delivery"] == delivery
    await ws.send_json_to({"type": "ping"})
    assert (await receive_until(ws, "pong"))["type"] == "pong"
    await ws.disconnect()
