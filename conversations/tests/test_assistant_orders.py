"""'Where is my order?': answered from the order's fulfilment (carrier, tracking, dates as stored),
whatever engine drafts it; a fulfilment claim or a tracking number that the conversation's orders
do not back is corrected or removed."""

import pytest

from checkout.enums import FulfilmentStatus as S
from checkout.services.fulfilment import order_fulfilment_transition
from checkout.tests.factories import OrderFactory
from conversations.assistant.draft import Draft
from conversations.assistant.engines import draft_reply
from conversations.assistant.grounding import ground
from conversations.tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db

TRACKING = {
    "carrier": "UPS",
    "tracking_number": "1Z999AA10123456784",
    "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
}


def say(text, conversation_id):
    return draft_reply(text=text, context={}, conversation_id=conversation_id)


def _shipped(conversation, number="ORD-261201-SHIP01"):
    order = OrderFactory(conversation=conversation, number=number)
    order = order_fulfilment_transition(order=order, to_status=S.PACKED)
    return order_fulfilment_transition(order=order, to_status=S.SHIPPED, **TRACKING)


@pytest.mark.parametrize("question", ["where is my order?", "has my order shipped", "tracking for my order"])
def test_a_shipped_order_is_answered_with_its_carrier_and_tracking(shop, question):
    conversation = ConversationFactory()
    order = _shipped(conversation)
    draft = say(question, conversation.id)
    assert draft.intent == "order_status"
    assert f"Order {order.number}: paid, " in draft.content and "49.98" in draft.content
    assert f"It shipped on {order.shipped_at:%d %b %Y} with UPS, tracking number 1Z999AA10123456784." in draft.content
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in draft.content  # the link whole
    assert draft.grounding["corrections"] == []


def test_each_step_is_said_as_it_stands_and_nothing_is_invented(shop):
    conversation = ConversationFactory()
    order = OrderFactory(conversation=conversation, number="ORD-261201-WAIT01")
    waiting = say(f"has {order.number} shipped?", conversation.id).content
    assert "It has not shipped yet" in waiting and "tracking number" not in waiting

    order = order_fulfilment_transition(order=order, to_status=S.PACKED)
    packed = say(f"has {order.number} shipped?", conversation.id).content
    assert "It is packed and waiting for the carrier; it has no tracking number yet." in packed

    order = order_fulfilment_transition(order=order, to_status=S.SHIPPED, **TRACKING)
    order = order_fulfilment_transition(order=order, to_status=S.DELIVERED)
    delivered = say("where is my order", conversation.id).content
    assert f"It was delivered on {order.delivered_at:%d %b %Y}" in delivered

    other = ConversationFactory()
    cancelled = order_fulfilment_transition(order=OrderFactory(conversation=other), to_status=S.CANCELLED)
    assert "Its shipment was cancelled" in say(f"where is {cancelled.number}", other.id).content


def test_another_conversations_order_is_not_told(shop):
    mine, theirs = ConversationFactory(), ConversationFactory()
    order = _shipped(theirs)
    draft = say(f"has {order.number} shipped?", mine.id)
    assert f"I can't find order {order.number}" in draft.content
    assert "1Z999AA10123456784" not in draft.content


def test_grounding_corrects_a_wrong_fulfilment_claim_and_removes_an_invented_tracking_number(shop):
    conversation = ConversationFactory()
    waiting = OrderFactory(conversation=conversation, number="ORD-261201-WAIT02")
    shipped = _shipped(conversation, number="ORD-261201-SHIP02")

    def orders():
        return [waiting, shipped]

    draft, report = ground(
        Draft(
            content=f"Order {waiting.number} has shipped and is on its way. "
            "Your tracking number is 1ZFAKE0000000001. "
            f"Order {shipped.number} has shipped with UPS, tracking number 1Z999AA10123456784.",
            intent="order_status",
        ),
        orders=orders,
    )
    assert f"Order {waiting.number}: It has not shipped yet" in draft.content
    assert "1ZFAKE0000000001" not in draft.content
    assert f"Order {shipped.number} has shipped with UPS, tracking number 1Z999AA10123456784." in draft.content
    assert {c["kind"] for c in report.corrections} == {"fulfilment", "tracking"}

    link, report = ground(
        Draft(content="Track it here: https://carrier.example/track/ZZ123456789GB", intent="order_status"),
        orders=orders,
    )
    assert "carrier.example" not in link.content and report.corrections[0]["kind"] == "tracking_url"


def test_grounding_reads_no_orders_for_a_reply_about_parts(shop):
    read = []
    ground(Draft(content="PS11750057 costs 24.99 USD.", intent="price"), orders=lambda: read.append(1) or [])
    assert read == []


def test_cancelling_is_offered_only_before_the_parcel_leaves(shop):
    conversation = ConversationFactory()
    waiting = OrderFactory(conversation=conversation, number="ORD-261201-WAIT03")
    draft = say(f"please cancel order {waiting.number}", conversation.id)
    assert [(p.type, p.payload["orderNumber"]) for p in draft.proposals] == [("order_cancellation", waiting.number)]

    shipped = _shipped(conversation, number="ORD-261201-SHIP04")
    draft = say(f"please cancel order {shipped.number}", conversation.id)
    assert draft.proposals == []
    assert f"Order {shipped.number} can't be cancelled any more. It shipped on" in draft.content
    assert "1Z999AA10123456784" in draft.content and draft.grounding["corrections"] == []


# "Where is my order?" with its commit work: the customer's message (5), the conversation's orders
# read by the engine and once more by the grounding (2), the earlier messages the handoff offer
# looks at (1), the reply's transaction (7), telemetry (2 × 3 with savepoints). Order numbers
# and the orders' own tracking numbers are not looked up in the catalogue, so more orders cost
# nothing more.
WHERE_MOST = 20


@pytest.mark.parametrize("orders", [1, 4])
def test_where_is_my_order_costs_the_same_however_many_orders(
    shop, settings, orders, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    from conversations.services.replies import customer_message_handle

    settings.PARLEY_DATA_RECHECK_SECONDS = 3600
    conversation = ConversationFactory()
    for n in range(orders):
        _shipped(conversation, number=f"ORD-261201-COUNT{n}")
    customer_message_handle(conversation=conversation, content="hello")  # versions read, welcome done
    with django_assert_max_num_queries(WHERE_MOST), django_capture_on_commit_callbacks(execute=True):
        _, reply = customer_message_handle(conversation=conversation, content="where is my order?")
    assert reply.content.count("tracking number 1Z999AA10123456784") == min(orders, 3)
