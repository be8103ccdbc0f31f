"""Operator decisions and the reply they cause: once, templated, on the customer's channel."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from actions.enums import ActionStatus as S
from actions.exceptions import ActionAlreadyDecided, ActionError, ActionNotAllowed, OperatorRequired
from actions.models import Action, ActionResponse, ResponseTemplate
from actions.services.expiry import actions_expire
from actions.services.feedback import action_feedback_apply
from actions.services.responses import response_text_render
from actions.tests.factories import ActionFactory
from checkout.tests.factories import OrderFactory
from conversations.models import Message
from conversations.tests.factories import ConversationFactory, CustomerFactory, whatsapp_window_open_for
from conversations.tests.whatsapp_stub import WhatsAppStub
from core.exceptions import ApplicationError
from core.outbox.models import OutboundDelivery
from core.outbox.services import delivery_send

pytestmark = pytest.mark.django_db(transaction=True)


def replies(conversation):
    return list(
        Message.objects.filter(conversation=conversation, role="assistant", metadata__has_key="action_id")
        .order_by("seq")
        .values_list("content", flat=True)
    )


def status_updates(conversation):
    return list(
        Message.objects.filter(conversation=conversation, message_type="action_status_update").values_list(
            "role", "content"
        )
    )


def test_approval_is_stored_with_the_operator_and_answered_on_commit(pending_action, operator):
    action = pending_action(type="policy_exception", payload={"reason": "Late return"}, label="Late return")

    action_feedback_apply(action=action, decision="approved", operator=operator, reply_text="Just this once.")

    action.refresh_from_db()
    assert action.status == S.SUCCEEDED
    assert (action.decided_by, action.decision_note) == (operator, "Just this once.")
    assert list(action.transitions.values_list("to_status", "actor_kind", "actor__username"))[-2:] == [
        ("approved", "operator", "olga"),
        ("succeeded", "system", None),
    ]
    response = ActionResponse.objects.select_related("delivery").get(action=action)
    assert (response.outcome, response.channel) == ("approved", "web")
    assert (response.delivery.status, response.delivery.attempts, response.delivery.key) == (
        "sent",
        1,
        response.idempotency_key,
    )
    assert response.text == "Good news: your request (Late return) has been approved.\n\nJust this once."
    assert replies(action.conversation) == [response.text]
    assert status_updates(action.conversation) == [("internal", "Late return: approved")]


def test_denial_ends_denied_and_tells_the_customer(pending_action, operator):
    action = pending_action(type="policy_exception", payload={}, label="Free shipping")

    action_feedback_apply(action=action, decision="denied", operator=operator)

    action.refresh_from_db()
    assert action.status == S.DENIED
    assert replies(action.conversation) == ["Sorry, we can't approve your request (Free shipping)."]
    assert status_updates(action.conversation) == [("internal", "Free shipping: declined")]


def test_an_edited_decision_stores_the_edited_payload_and_keeps_the_original(pending_action, operator):
    action = pending_action(type="policy_exception", payload={"reason": "Late return"})

    action_feedback_apply(
        action=action, decision="edited", operator=operator, edited_payload={"reason": "Store credit instead"}
    )

    action.refresh_from_db()
    assert action.payload == {"reason": "Store credit instead"}
    assert action.result["original_payload"] == {"reason": "Late return"}
    assert action.transitions.filter(to_status="edited").exists() and action.status == S.SUCCEEDED


@pytest.mark.parametrize("payload", [None, {}, {"nonsense": 1}, {"reason": "x" * 5000}])
def test_an_edit_without_a_valid_payload_is_refused(pending_action, operator, payload):
    action = pending_action(type="policy_exception", payload={})
    with pytest.raises(ActionError) as caught:
        action_feedback_apply(action=action, decision="edited", operator=operator, edited_payload=payload)
    assert caught.value.status_code == 400
    assert Action.objects.get(pk=action.pk).status == S.PENDING_APPROVAL
    assert not ActionResponse.objects.exists()


def test_a_second_decision_gets_409_and_changes_nothing(pending_action, operator):
    action = pending_action(type="policy_exception", payload={})
    action_feedback_apply(action=action, decision="denied", operator=operator)

    for decision in ("approved", "denied", "edited"):
        with pytest.raises(ActionAlreadyDecided) as caught:
            action_feedback_apply(action=action, decision=decision, operator=operator, edited_payload={"reason": "x"})
        assert (caught.value.code, caught.value.status_code) == ("action_already_decided", 409)
    assert ActionResponse.objects.filter(action=action).count() == 1
    assert len(replies(action.conversation)) == 1


def test_only_pending_actions_can_be_decided(operator):
    conversation = ConversationFactory()
    action = ActionFactory(conversation=conversation)
    with pytest.raises(ActionNotAllowed) as caught:
        action_feedback_apply(action=action, decision="approved", operator=operator)
    assert caught.value.code == "action_not_pending"


def test_only_staff_decide(pending_action, non_staff):
    action = pending_action()
    with pytest.raises(OperatorRequired):
        action_feedback_apply(action=action, decision="approved", operator=non_staff)
    with pytest.raises(OperatorRequired):
        action_feedback_apply(action=action, decision="approved", operator=None)
    assert Action.objects.get(pk=action.pk).status == S.PENDING_APPROVAL


def test_an_unknown_decision_is_refused(pending_action, operator):
    with pytest.raises(ActionError) as caught:
        action_feedback_apply(action=pending_action(), decision="maybe", operator=operator)
    assert caught.value.code == "decision_invalid"


# --- response templates -------------------------------------------------------------


def test_the_template_for_type_and_outcome_wins(pending_action, operator):
    ResponseTemplate.objects.create(action_type="*", outcome="approved", body="Generic yes.")
    ResponseTemplate.objects.create(
        action_type="policy_exception",
        outcome="approved",
        body='Hi {{ customer.name|default:"there" }}, {{ action.label|lower }}: yes. {{ reply }} <b>&</b>',
    )
    action = pending_action(type="policy_exception", payload={}, label="Late Return")

    action_feedback_apply(action=action, decision="approved", operator=operator, reply_text="Enjoy.")

    # Plain text: no HTML escaping of the template or the context.
    assert replies(action.conversation) == ["Hi Ann, late return: yes. Enjoy. <b>&</b>"]


def test_the_wildcard_template_is_the_fallback(pending_action, operator):
    ResponseTemplate.objects.create(action_type="*", outcome="denied", body="No to {{ action.type }}.")
    ResponseTemplate.objects.create(action_type="policy_exception", outcome="denied", body="x", is_active=False)
    action = pending_action(type="policy_exception", payload={})

    action_feedback_apply(action=action, decision="denied", operator=operator)

    assert replies(action.conversation) == ["No to policy_exception."]


@pytest.mark.parametrize(
    "body",
    [
        "{% include 'base.html' %}",  # no loaders: the sandbox reads no files
        "{{ action.delete }}{% if %}",  # does not compile
        "   ",  # renders to nothing
        "{% load static %}{% static 'x' %}",  # only the built-in tags and filters
    ],
)
def test_a_template_that_fails_falls_back_to_the_generic_text(pending_action, operator, body):
    ResponseTemplate.objects.create(action_type="policy_exception", outcome="approved", body=body)
    action = pending_action(type="policy_exception", payload={}, label="Late return")

    text, source = response_text_render(action=action, outcome="approved", reply_text="")

    assert (text, source) == ("Good news: your request (Late return) has been approved.", "generic")


def test_the_context_exposes_values_not_models(pending_action):
    ResponseTemplate.objects.create(
        action_type="policy_exception", outcome="denied", body="[{{ action.conversation }}{{ customer.user }}]"
    )
    action = pending_action(type="policy_exception", payload={})
    text, _ = response_text_render(action=action, outcome="denied")
    assert text == "[]"


# --- channels -------------------------------------------------------------------------


@pytest.fixture
def whatsapp(settings):
    with WhatsAppStub() as stub:
        settings.WHATSAPP_API_BASE = stub.url
        settings.WHATSAPP_TOKEN = "tok"
        settings.WHATSAPP_PHONE_NUMBER_ID = "42"
        yield stub


def whatsapp_conversation():
    customer = CustomerFactory(name="Wanda", email="", phone="+15550001111")
    whatsapp_window_open_for(customer.phone, customer=customer)  # she wrote on WhatsApp a moment ago
    return ConversationFactory(channel="whatsapp", customer=customer)


def test_a_whatsapp_customer_gets_the_reply_on_whatsapp(pending_action, operator, whatsapp):
    action = pending_action(conversation=whatsapp_conversation(), type="policy_exception")

    action_feedback_apply(action=action, decision="approved", operator=operator, reply_text="OK!")

    (request,) = whatsapp.requests
    assert request["json"]["to"] == "15550001111"
    response = ActionResponse.objects.select_related("delivery").get(action=action)
    assert request["json"]["text"]["body"] == response.text
    assert request["headers"]["Idempotency-Key"] == response.idempotency_key
    assert (response.delivery.status, response.delivery.external_id, response.channel) == (
        "sent",
        "wamid.stub1",
        "whatsapp",
    )
    assert replies(action.conversation) == [response.text]  # also in the conversation's history


@pytest.fixture
def no_worker(monkeypatch):
    """The enqueue on commit reaches no worker: the test plays the worker (and the beat)."""
    monkeypatch.setattr("core.outbox.services._send_on_commit", lambda *args, **kwargs: None)


def test_a_retryable_whatsapp_failure_stays_pending_for_the_reconcile(pending_action, operator, whatsapp, no_worker):
    whatsapp.respond_with = (503, {"error": {"message": "try later"}})
    action = pending_action(conversation=whatsapp_conversation(), type="policy_exception")
    action_feedback_apply(action=action, decision="approved", operator=operator)
    delivery = ActionResponse.objects.get(action=action).delivery

    assert delivery_send(delivery_id=delivery.pk).status == "retry"

    delivery.refresh_from_db()
    assert delivery.status == "pending" and "503" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()
    assert Action.objects.get(pk=action.pk).status == S.APPROVED  # not failed: it will be retried
    assert replies(action.conversation) == []

    whatsapp.respond_with = None
    requests_before = len(whatsapp.requests)
    call_command("outbox_reconcile", "--grace-seconds=0")  # not due yet: nothing
    assert len(whatsapp.requests) == requests_before
    OutboundDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    call_command("outbox_reconcile", "--grace-seconds=0")

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(whatsapp.requests) == requests_before + 1
    assert Action.objects.get(pk=action.pk).status == S.SUCCEEDED
    assert len(replies(action.conversation)) == 1

    call_command("outbox_reconcile", "--grace-seconds=0")  # nothing left to do
    assert len(whatsapp.requests) == requests_before + 1


def test_retryable_failures_to_the_last_attempt_fail_the_action(pending_action, operator, whatsapp, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    whatsapp.respond_with = (503, {"error": {"message": "try later"}})
    action = pending_action(conversation=whatsapp_conversation(), type="policy_exception")

    action_feedback_apply(action=action, decision="approved", operator=operator)  # eager: every retry at once

    delivery = ActionResponse.objects.get(action=action).delivery
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert len(whatsapp.requests) == 3
    action.refresh_from_db()
    assert action.status == S.FAILED and "503" in action.error


def test_a_final_whatsapp_failure_fails_the_action_with_the_error(pending_action, operator, whatsapp):
    whatsapp.respond_with = (400, {"error": {"message": "Invalid recipient"}})
    action = pending_action(conversation=whatsapp_conversation(), type="policy_exception")

    action_feedback_apply(action=action, decision="approved", operator=operator)

    action.refresh_from_db()
    assert action.status == S.FAILED and "Invalid recipient" in action.error
    delivery = ActionResponse.objects.get(action=action).delivery
    assert (delivery.status, delivery.attempts) == ("failed", 1)  # a refused number is not retried


def test_an_email_customer_gets_the_reply_by_email(pending_action, operator):
    conversation = ConversationFactory(channel="email", customer_name="Ed", customer_email="ed@example.com")
    action = pending_action(conversation=conversation, type="policy_exception", label="Late return")

    action_feedback_apply(action=action, decision="denied", operator=operator)

    (sent,) = mail.outbox
    assert sent.to == ["ed@example.com"] and "Late return" in sent.subject
    assert sent.body == "Sorry, we can't approve your request (Late return)."


def test_delivering_twice_sends_once(pending_action, operator, whatsapp):
    action = pending_action(conversation=whatsapp_conversation(), type="policy_exception")
    action_feedback_apply(action=action, decision="approved", operator=operator)
    delivery = ActionResponse.objects.get(action=action).delivery

    assert delivery_send(delivery_id=delivery.pk).status == "skipped"
    assert delivery_send(delivery_id=delivery.pk).status == "skipped"

    assert len(whatsapp.requests) == 1
    assert len(replies(action.conversation)) == 1


# --- refunds ------------------------------------------------------------------------


def test_an_approved_refund_request_refunds_the_paid_order(pending_action, operator):
    conversation = ConversationFactory(customer_name="Ann")
    order = OrderFactory(conversation=conversation, number="ORD-TEST1", total="49.98")
    action = pending_action(conversation=conversation, payload={"orderNumber": order.number})

    action_feedback_apply(action=action, decision="approved", operator=operator)

    order.refresh_from_db()
    assert (order.status, order.refunded_total) == ("refunded", Decimal("49.98"))
    assert order.refunds.count() == 1
    action.refresh_from_db()
    assert action.status == S.SUCCEEDED and action.result["refund"]["order_status"] == "refunded"

    # A repeat of the send after a crash (the delivery back to pending) never refunds twice.
    delivery = ActionResponse.objects.get(action=action).delivery
    OutboundDelivery.objects.filter(pk=delivery.pk).update(status="pending")
    action.result = {key: value for key, value in action.result.items() if key != "refund"}
    Action.objects.filter(pk=action.pk).update(result=action.result)  # as if killed before recording it
    assert delivery_send(delivery_id=delivery.pk).status == "sent"
    assert order.refunds.count() == 1


def test_an_edited_refund_refunds_the_edited_amount(pending_action, operator):
    conversation = ConversationFactory()
    order = OrderFactory(conversation=conversation, number="ORD-TEST1", total="49.98")
    action = pending_action(conversation=conversation, payload={"orderNumber": order.number})

    action_feedback_apply(
        action=action,
        decision="edited",
        operator=operator,
        edited_payload={"orderNumber": order.number, "amount": "20"},
    )

    order.refresh_from_db()
    assert (order.status, order.refunded_total) == ("partially_refunded", Decimal("20.00"))


def test_a_denied_refund_request_refunds_nothing(pending_action, operator):
    conversation = ConversationFactory()
    order = OrderFactory(conversation=conversation, number="ORD-TEST1")
    action = pending_action(conversation=conversation, payload={"orderNumber": order.number})

    action_feedback_apply(action=action, decision="denied", operator=operator)

    order.refresh_from_db()
    assert (order.status, order.refunds.count()) == ("paid", 0)


def test_approving_a_refund_for_an_order_refunded_in_full_meanwhile_is_refused(pending_action, operator):
    conversation = ConversationFactory()
    order = OrderFactory(conversation=conversation, number="ORD-TEST1")
    action = pending_action(conversation=conversation, payload={"orderNumber": order.number})
    order.status, order.refunded_total = "refunded", order.total  # refunded elsewhere meanwhile
    order.save()

    for decision, payload in (("approved", None), ("edited", {"orderNumber": order.number, "amount": "1.00"})):
        with pytest.raises(ApplicationError) as caught:
            action_feedback_apply(action=action, decision=decision, operator=operator, edited_payload=payload)
        assert (caught.value.code, caught.value.status_code) == ("order_already_refunded", 409)
        assert "already fully refunded" in caught.value.detail

    action.refresh_from_db()
    assert (action.status, action.decided_at, action.responses.count()) == (S.PENDING_APPROVAL, None, 0)
    assert replies(conversation) == []
    action_feedback_apply(action=action, decision="denied", operator=operator)  # denying still works
    assert Action.objects.get(pk=action.pk).status in (S.DENIED, S.SUCCEEDED)


def test_an_approved_refund_that_cannot_be_made_fails_and_says_so(pending_action, operator):
    """Approved while it looked possible, then the provider's side said no (here: another refund of
    the whole order was already on its way): the action fails and the customer is told."""
    from checkout.enums import RefundStatus
    from checkout.models import Refund

    conversation = ConversationFactory()
    order = OrderFactory(conversation=conversation, number="ORD-TEST1")
    action = pending_action(conversation=conversation, payload={"orderNumber": order.number})
    Refund.objects.create(order=order, amount=order.total, currency=order.currency, status=RefundStatus.REQUESTED)

    action_feedback_apply(action=action, decision="approved", operator=operator)

    action.refresh_from_db()
    assert action.status == S.FAILED and "already being refunded" in action.error
    (reply,) = replies(conversation)
    assert "could not be made automatically" in reply


def test_what_approving_does_is_the_types_own_hook(pending_action, operator):
    """responses.py knows no type by name: a type's on_approved acts, approval_error reports."""
    from actions.types import REGISTRY, OperatorApproved

    class WarrantyClaim(OperatorApproved):
        type = "warranty_claim_hook_test"
        label = "Claim the warranty"
        approval_failure = "the claim could not be filed"

        def on_approved(self, *, action):
            if "claim" not in action.result:
                filed = action.payload.get("orderNumber") != "ORD-BAD"
                action.result = {**action.result, "claim": {"filed": filed}}
                Action.objects.filter(pk=action.pk).update(result=action.result)

        def approval_error(self, *, action):
            return "" if action.result["claim"]["filed"] else "The warranty has expired."

    try:
        conversation = ConversationFactory()
        good = pending_action(conversation=conversation, type=WarrantyClaim.type, payload={"orderNumber": "ORD-1"})
        bad = pending_action(conversation=conversation, type=WarrantyClaim.type, payload={"orderNumber": "ORD-BAD"})
        denied = pending_action(conversation=conversation, type=WarrantyClaim.type, payload={"orderNumber": "ORD-2"})

        action_feedback_apply(action=good, decision="approved", operator=operator)
        action_feedback_apply(action=bad, decision="approved", operator=operator)
        action_feedback_apply(action=denied, decision="denied", operator=operator)

        for action in (good, bad, denied):
            action.refresh_from_db()
        assert (good.status, good.result["claim"]) == (S.SUCCEEDED, {"filed": True})
        assert (bad.status, bad.error) == (S.FAILED, "The warranty has expired.")
        assert "claim" not in denied.result  # denying does nothing but tell the customer
        assert any("the claim could not be filed: The warranty has expired." in r for r in replies(conversation))
    finally:
        REGISTRY.pop("warranty_claim_hook_test", None)


# --- expiry ---------------------------------------------------------------------------


def test_stale_rendered_and_pending_actions_expire(pending_action, operator):
    from datetime import timedelta

    from django.utils import timezone

    conversation = ConversationFactory()
    stale_button = ActionFactory(conversation=conversation, type="policy_clarification", payload={})
    stale_request = pending_action(conversation=conversation, type="policy_exception", payload={})
    fresh_button = ActionFactory(conversation=conversation, type="policy_clarification", payload={"reason": "fresh"})
    decided = pending_action(conversation=conversation, type="policy_exception", payload={"reason": "d"})
    action_feedback_apply(action=decided, decision="denied", operator=operator)
    old = timezone.now() - timedelta(hours=100)
    Action.objects.filter(pk__in=[stale_button.pk, stale_request.pk, decided.pk]).update(updated_at=old)

    assert actions_expire() == 2

    statuses = dict(Action.objects.values_list("pk", "status"))
    assert statuses[stale_button.pk] == statuses[stale_request.pk] == "expired"
    assert statuses[fresh_button.pk] == "rendered" and statuses[decided.pk] == "denied"
    assert Action.objects.get(pk=stale_request.pk).enabled is False
    assert actions_expire() == 0


def test_an_approved_cancellation_stops_the_parcel_and_refunds_the_order_once(pending_action, operator):
    from checkout.models import FulfilmentEvent

    conversation = ConversationFactory(customer_name="Ann")
    order = OrderFactory(conversation=conversation, number="ORD-TEST1", total="49.98")
    action = pending_action(conversation=conversation, type="order_cancellation", payload={"orderNumber": order.number})

    action_feedback_apply(action=action, decision="approved", operator=operator)

    order.refresh_from_db()
    assert (order.fulfilment_status, order.status, order.refunded_total) == ("cancelled", "refunded", Decimal("49.98"))
    assert FulfilmentEvent.objects.get(order=order).note == f"Operator-approved {action.id}"
    action.refresh_from_db()
    assert action.status == S.SUCCEEDED and action.result["cancellation"]["fulfilment"] == "cancelled"

    delivery = ActionResponse.objects.get(action=action).delivery
    OutboundDelivery.objects.filter(pk=delivery.pk).update(status="pending")
    Action.objects.filter(pk=action.pk).update(result={})  # as if killed before recording it
    assert delivery_send(delivery_id=delivery.pk).status == "sent"
    assert order.refunds.count() == 1 and FulfilmentEvent.objects.filter(order=order).count() == 1


def test_a_cancellation_of_a_shipped_order_is_refused_with_the_fulfilment_code(pending_action, operator):
    from actions.services.clicks import action_click
    from checkout.services.fulfilment import order_fulfilment_transition

    conversation = ConversationFactory()
    order = OrderFactory(conversation=conversation, number="ORD-TEST2")
    action = pending_action(conversation=conversation, type="order_cancellation", payload={"orderNumber": order.number})
    order = order_fulfilment_transition(order=order, to_status="packed")
    order_fulfilment_transition(order=order, to_status="shipped", carrier="UPS", tracking_number="1Z1")

    with pytest.raises(ApplicationError) as caught:
        action_feedback_apply(action=action, decision="approved", operator=operator)
    assert (caught.value.code, caught.value.status_code) == ("fulfilment_transition_invalid", 409)
    assert Action.objects.get(pk=action.pk).status == S.PENDING_APPROVAL
    with pytest.raises(ApplicationError):
        action_click(
            action=ActionFactory(
                conversation=conversation, type="order_cancellation", payload={"orderNumber": "ORD-TEST2"}
            )
        )
