"""The reply rules of DESIGN.md, enforced by actions_select whatever engine proposed the actions."""

import pytest
from rest_framework import serializers

from actions.services.selection import ActionProposal, actions_select
from actions.types import REGISTRY, ActionType, Prerequisites, action_type_get
from checkout.tests.factories import OrderFactory
from conversations.tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def select(*proposals, **known):
    return actions_select(proposals=list(proposals), known=Prerequisites(**known))


def test_at_most_three_actions(shop):
    proposals = [
        ActionProposal("checkout_now", {"psNumber": ps, "quantity": 1})
        for ps in ("PS11750057", "PS11750058", "PS11750099", "PS11752778")
    ]
    assert len(select(*proposals)) == 3


def test_at_most_one_primary(shop):
    chosen = select(
        ActionProposal("checkout_now", {"psNumber": "PS11750057", "quantity": 1}),
        ActionProposal("checkout_now", {"psNumber": "PS11750058", "quantity": 1}),
    )
    assert [a.style for a in chosen] == ["primary", "secondary"]


def test_checkout_now_always_requires_confirmation(shop):
    (chosen,) = select(ActionProposal("checkout_now", {"psNumber": "PS11750057", "quantity": 2}))
    assert chosen.requires_confirmation is True
    assert chosen.payload == {"psNumber": "PS11750057", "quantity": 2}


@pytest.mark.parametrize(
    "proposal",
    [
        ActionProposal("checkout_now", {"psNumber": "PS12584610", "quantity": 1}),  # out of stock
        ActionProposal("checkout_now", {"psNumber": "PS11750057", "quantity": 13}),  # more than in stock
        ActionProposal("checkout_now", {"psNumber": "PS00000000", "quantity": 1}),  # unknown part
        ActionProposal("checkout_now", {"quantity": 1}),  # part missing
        ActionProposal("notify_when_in_stock", {"psNumber": "PS11750057"}),  # in stock: nothing to wait for
        ActionProposal("check_compatible_alternatives", {}),  # nothing known
        ActionProposal("refund_request", {"orderNumber": "ORD-NOPE"}),  # no such order
        ActionProposal("teleport", {}),  # not a registered type
    ],
    ids=[
        "out-of-stock",
        "over-stock",
        "unknown-part",
        "no-part",
        "notify-in-stock",
        "alt-empty",
        "refund-no-order",
        "unknown",
    ],
)
def test_missing_prerequisites_hide_the_action(shop, proposal):
    assert select(proposal) == []


@pytest.mark.parametrize(
    "proposal",
    [
        ActionProposal("checkout_now", {"psNumber": "PS99000001", "quantity": 1}),
        ActionProposal("check_compatible_alternatives", {"applianceType": "washer"}),
        ActionProposal("check_compatible_alternatives", {"modelNumber": "WTW5000DW"}),
        ActionProposal("notify_when_in_stock", {"psNumber": "PS99000001"}),
    ],
)
def test_nothing_outside_the_shops_scope(shop, proposal):
    assert select(proposal) == []


def test_scope_is_configuration(shop, settings):
    settings.PARLEY_SHOP_SCOPE = ["washer"]
    assert select(ActionProposal("checkout_now", {"psNumber": "PS99000001", "quantity": 1}))
    assert select(ActionProposal("checkout_now", {"psNumber": "PS11750057", "quantity": 1})) == []


def test_low_compatibility_hides_checkout_for_a_known_model(shop):
    # PS11752778 is a fridge bin: no fit data for the dishwasher.
    proposal = ActionProposal("checkout_now", {"psNumber": "PS11752778", "quantity": 1})
    assert select(proposal, model_number="WDT780SAEM1") == []
    assert select(proposal, model_number="WRS325SDHZ")


def test_duplicates_are_dropped(shop):
    proposal = ActionProposal("checkout_now", {"psNumber": "PS11750057", "quantity": 1})
    assert len(select(proposal, proposal)) == 1


def test_a_payload_that_fails_its_schema_is_dropped(shop):
    assert select(ActionProposal("checkout_now", {"psNumber": "PS11750057", "quantity": "lots"})) == []


def test_refund_request_only_for_a_refundable_order_of_this_conversation(shop):
    conversation = ConversationFactory()
    other = ConversationFactory()
    order = OrderFactory(conversation=conversation, number="ORD-TEST1")
    proposal = ActionProposal("refund_request", {"orderNumber": order.number})

    (chosen,) = select(proposal, conversation_id=conversation.id)
    assert chosen.type == "refund_request" and chosen.label == "Request a refund"
    assert select(proposal, conversation_id=other.id) == []

    order.refunded_total = order.total
    order.status = "refunded"
    order.save()
    assert select(proposal, conversation_id=conversation.id) == []


def test_adding_a_type_is_one_class(shop):
    class WarrantyClaim(ActionType):
        type = "warranty_claim_test"
        label = "Claim the warranty"
        needs_operator = True

        class Payload(serializers.Serializer):
            orderNumber = serializers.CharField()

    try:
        assert action_type_get("warranty_claim_test") is REGISTRY["warranty_claim_test"]
        (chosen,) = select(ActionProposal("warranty_claim_test", {"orderNumber": "ORD-1", "extra": "dropped"}))
        assert chosen.label == "Claim the warranty"
        assert chosen.payload == {"orderNumber": "ORD-1"}
    finally:
        REGISTRY.pop("warranty_claim_test", None)


def test_registering_a_type_name_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):

        class AnotherCheckout(ActionType):
            type = "checkout_now"
            label = "Buy"

    assert type(REGISTRY["checkout_now"]).__name__ == "CheckoutNow"


def test_a_discontinued_part_gets_no_button_the_apis_would_refuse(shop, api):
    """One rule decides "sold here" (`product_is_sellable`): the buttons and the APIs behind them agree."""
    discontinued = shop["backordered"]  # PS12584610, out of stock: a notify button until it is discontinued
    assert select(ActionProposal("notify_when_in_stock", {"psNumber": "PS12584610"}))
    discontinued.is_active = False
    discontinued.save()

    assert select(ActionProposal("notify_when_in_stock", {"psNumber": "PS12584610"})) == []
    refused = api.post(
        "/api/alerts/back-in-stock",
        {"psNumber": "PS12584610", "channel": "email", "contact": "a@example.com"},
        format="json",
    )
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "product_not_found"
    # Alternatives to a discontinued part are still offered: that is when they matter most.
    assert select(ActionProposal("check_compatible_alternatives", {"psNumber": "PS12584610"}))
