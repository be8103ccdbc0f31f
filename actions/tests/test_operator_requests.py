"""Requests as an operator reads and edits them: the type's name, each field with its label, the
customer's reason, the order it concerns; an edit validated by the type and told to the
customer as a change; a request the facts now refuse; "Recently decided" from the server."""

import pytest

from actions.enums import ActionStatus as S
from actions.models import Action
from actions.serializers import operator_action_to_dict
from actions.services.clicks import action_click
from actions.services.feedback import action_feedback_apply
from actions.tests.factories import ActionFactory
from checkout.tests.factories import OrderFactory
from conversations.models import Message
from conversations.tests.factories import ConversationFactory
from core.exceptions import ApplicationError
from core.realtime import OPERATORS_GROUP

pytestmark = pytest.mark.django_db


def customer_replies(conversation):
    return list(
        Message.objects.filter(conversation=conversation, role="assistant", metadata__has_key="action_id")
        .order_by("seq")
        .values_list("content", flat=True)
    )


def refund_request(conversation=None, *, total="21.99", refunded="0", reason="It arrived cracked"):
    conversation = conversation or ConversationFactory(customer_name="Ann")
    order = OrderFactory(conversation=conversation, total=total)
    if refunded != "0":
        order.refunded_total = order.total if refunded == "all" else refunded
        order.status = "refunded" if refunded == "all" else "partially_refunded"
        order.save()
    action = ActionFactory(conversation=conversation, payload={"orderNumber": order.number, "reason": reason})
    return conversation, order, action


def test_a_request_reads_as_the_operator_needs_it():
    _conversation, order, action = refund_request(total="21.99", refunded="5.00")
    action = action_click(action=action)

    shown = operator_action_to_dict(Action.objects.select_related("conversation__customer").get(pk=action.pk))

    assert shown["title"] == "Refund request" and shown["label"] == "Request a refund"
    assert shown["reason"] == "It arrived cracked"
    assert shown["order"] == {
        "number": order.number,
        "status": "partially_refunded",
        "statusLabel": "Partially refunded",
        "currency": "USD",
        "total": "21.99",
        "refunded": "5.00",
        "refundable": "16.99",
        "totalDisplay": "$21.99",
        "refundedDisplay": "$5.00",
        "refundableDisplay": "$16.99",
        "createdAt": order.created_at.isoformat(),
        "fulfilment": "unfulfilled",
        "fulfilmentLabel": "Unfulfilled",
        "tracking": "",
    }
    fields = {f["name"]: f for f in shown["fields"]}
    assert list(fields) == ["orderNumber", "reason", "details", "amount"]
    assert (fields["orderNumber"]["label"], fields["orderNumber"]["value"], fields["orderNumber"]["required"]) == (
        "Order number",
        order.number,
        True,
    )
    assert (fields["amount"]["label"], fields["amount"]["kind"], fields["amount"]["value"]) == (
        "Amount to refund",
        "money",
        "",
    )
    assert fields["reason"]["kind"] == "textarea" and fields["reason"]["label"] == "Customer's reason"


def test_the_order_shown_is_only_ever_the_conversations_own():
    _, other_order, _ = refund_request()
    conversation = ConversationFactory()
    action = ActionFactory(
        conversation=conversation, type="policy_exception", payload={"orderNumber": other_order.number}
    )

    shown = operator_action_to_dict(action)

    assert shown["order"] is None and shown["title"] == "Policy exception"
    assert [f["name"] for f in shown["fields"]] == ["orderNumber", "reason", "details"]


def test_pressing_a_refund_for_an_order_already_refunded_in_full_is_refused(capture_realtime):
    _conversation, _order, action = refund_request(refunded="all")

    with pytest.raises(ApplicationError) as caught:
        action_click(action=action)

    assert (caught.value.code, caught.value.status_code) == ("order_already_refunded", 409)
    action.refresh_from_db()
    assert (action.status, action.enabled) == (S.FAILED, False)
    assert "already fully refunded" in action.error
    assert not capture_realtime.events(group=OPERATORS_GROUP)  # nobody is asked to decide it
    with pytest.raises(ApplicationError) as again:
        action_click(action=action)
    assert again.value.code == "action_not_clickable"


def test_pressing_it_over_the_api_answers_the_code(api):
    conversation, _order, action = refund_request(refunded="all")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {conversation.token}")

    response = api.post(f"/api/chat/conversations/{conversation.id}/actions/{action.id}/click")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "order_already_refunded"
    assert Action.objects.get(pk=action.pk).status == S.FAILED


def test_an_edit_is_checked_field_by_field_by_the_type(operator):
    _conversation, order, action = refund_request()
    action = action_click(action=action)

    with pytest.raises(ApplicationError) as caught:
        action_feedback_apply(
            action=action, decision="edited", operator=operator, edited_payload={"orderNumber": "", "amount": "ten"}
        )
    assert caught.value.code == "edited_payload_invalid"
    assert set(caught.value.fields) == {"orderNumber", "amount"}

    with pytest.raises(ApplicationError) as caught:
        action_feedback_apply(
            action=action,
            decision="edited",
            operator=operator,
            edited_payload={"orderNumber": order.number, "amount": "30.00"},
        )
    assert caught.value.code == "refund_exceeds_balance" and caught.value.fields == {"amount": ["At most 21.99."]}
    assert Action.objects.get(pk=action.pk).status == S.PENDING_APPROVAL


@pytest.mark.django_db(transaction=True)  # the customer is answered after the decision commits
def test_an_edited_refund_tells_the_customer_what_changed(operator):
    conversation, order, action = refund_request(total="21.99")
    action = action_click(action=action)

    action_feedback_apply(
        action=action,
        decision="edited",
        operator=operator,
        edited_payload={"orderNumber": order.number, "amount": "10.00", "reason": "It arrived cracked"},
        reply_text="The rest is store credit.",
    )

    action.refresh_from_db()
    assert action.result["changes"] == "refund of $10.00 of $21.99"
    assert action.result["original_payload"]["reason"] == "It arrived cracked"
    (reply,) = customer_replies(conversation)
    assert "refund of $10.00 of $21.99" in reply and "The rest is store credit." in reply
    order.refresh_from_db()
    assert str(order.refunded_total) == "10.00"
    assert operator_action_to_dict(action)["changes"] == "refund of $10.00 of $21.99"


@pytest.mark.django_db(transaction=True)
def test_an_edit_of_another_type_lists_its_changed_fields(operator):
    conversation = ConversationFactory()
    action = action_click(
        action=ActionFactory(conversation=conversation, type="policy_exception", payload={"reason": "Late return"})
    )

    action_feedback_apply(
        action=action,
        decision="edited",
        operator=operator,
        edited_payload={"reason": "Late return", "details": "Return accepted until Friday"},
    )

    action.refresh_from_db()
    assert action.result["changes"] == "Details: Return accepted until Friday"
    (reply,) = customer_replies(conversation)
    assert "Details: Return accepted until Friday" in reply


def test_recently_decided_comes_from_the_server_newest_first(api, operator):
    conversation = ConversationFactory()
    first = action_click(action=ActionFactory(conversation=conversation, type="policy_exception", payload={}))
    second = action_click(action=ActionFactory(conversation=conversation, type="policy_clarification", payload={}))
    waiting = action_click(action=ActionFactory(conversation=conversation, type="order_cancellation", payload={}))
    action_feedback_apply(action=first, decision="denied", operator=operator)
    action_feedback_apply(action=second, decision="approved", operator=operator)

    assert api.get("/api/actions/decided").status_code == 401
    api.force_authenticate(operator)
    body = api.get("/api/actions/decided").json()

    assert [a["id"] for a in body["actions"]] == [second.id, first.id]
    assert [a["title"] for a in body["actions"]] == ["Policy question", "Policy exception"]
    assert body["actions"][0]["decidedBy"] == "olga"
    assert waiting.id not in [a["id"] for a in body["actions"]]
