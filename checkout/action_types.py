"""The action types whose rules are checkout's: declared here, where orders and refunds live,
and registered with the actions registry when checkout is loaded (`CheckoutConfig.ready`)."""

from decimal import Decimal

from rest_framework import serializers

from actions.enums import ActionTypeName
from actions.models import Action
from actions.types import OperatorApproved, order_summary_register
from checkout.enums import FulfilmentStatus, OrderStatus
from checkout.error_codes import CheckoutErrorCode
from checkout.models import Order
from checkout.services.fulfilment import fulfilment_refusal, order_fulfilment_transition
from checkout.services.refunds import RefundNotAllowed, order_refund, refund_refusal
from core.exceptions import ApplicationError
from core.money import money_display


def _conversation_order(*, order_number: str, conversation_id: str) -> Order | None:
    if not order_number:
        return None
    return Order.objects.filter(number=order_number.strip().upper(), conversation_id=conversation_id).first()


def order_summary(*, order_number: str, conversation_id: str) -> dict | None:
    """The order a request names, as the operator inbox shows it; None unless it is this
    conversation's (a request never shows another customer's order)."""
    order = _conversation_order(order_number=order_number, conversation_id=conversation_id)
    if order is None:
        return None
    return {
        "number": order.number,
        "status": order.status,
        "statusLabel": order.get_status_display(),
        "currency": order.currency,
        "total": f"{order.total:.2f}",
        "refunded": f"{order.refunded_total:.2f}",
        "refundable": f"{order.refundable_amount:.2f}",
        "totalDisplay": money_display(order.total, order.currency),
        "refundedDisplay": money_display(order.refunded_total, order.currency),
        "refundableDisplay": money_display(order.refundable_amount, order.currency),
        "createdAt": order.created_at.isoformat(),
        "fulfilment": order.fulfilment_status,
        "fulfilmentLabel": order.get_fulfilment_status_display(),
        "tracking": f"{order.carrier} {order.tracking_number}".strip(),
    }


order_summary_register(order_summary)


class RefundRequest(OperatorApproved):
    """Shown only for a paid (not fully refunded) order of this conversation; approving it refunds
    through the payment provider (`amount` empty: everything still refundable)."""

    type = ActionTypeName.REFUND_REQUEST
    label = "Request a refund"
    title = "Refund request"
    approval_failure = "the refund could not be made automatically"

    class Payload(OperatorApproved.Payload):
        orderNumber = serializers.CharField(max_length=32, label="Order number")
        amount = serializers.RegexField(
            r"^\d{1,10}(\.\d{1,2})?$",
            required=False,
            allow_blank=True,
            max_length=13,
            label="Amount to refund",
            help_text="Empty: everything still refundable.",
            style={"input": "money"},
        )

    def refusal(self, *, action, payload):
        """A refund for an order of another conversation, not paid, already refunded in full, or
        for more than is left is refused with checkout's own code (the rule `order_refund` applies)."""
        order = _conversation_order(order_number=payload.get("orderNumber", ""), conversation_id=action.conversation_id)
        if order is None:
            return RefundNotAllowed(
                f"There is no order {payload.get('orderNumber') or '(none given)'} in this conversation.",
                code=CheckoutErrorCode.ORDER_NOT_FOUND,
                fields={"orderNumber": ["Not an order of this conversation."]},
            )
        return refund_refusal(order=order, amount=payload.get("amount") or None)

    def change_text(self, *, action, before, after):
        """ "refund of $10.00 of $21.99" when the amount changed (the order's total after "of")."""
        changes = []
        order = _conversation_order(order_number=after.get("orderNumber", ""), conversation_id=action.conversation_id)
        if before.get("orderNumber") != after.get("orderNumber"):
            changes.append(f"order {after.get('orderNumber')}")
        if (before.get("amount") or "") != (after.get("amount") or "") and order is not None:
            amount = Decimal(after["amount"]) if after.get("amount") else order.refundable_amount
            changes.append(
                f"refund of {money_display(amount, order.currency)} of {money_display(order.total, order.currency)}"
            )
        rest = super().change_text(
            action=action,
            before={k: v for k, v in before.items() if k not in ("orderNumber", "amount")},
            after={k: v for k, v in after.items() if k not in ("orderNumber", "amount")},
        )
        return "; ".join([*changes, *([rest] if rest else [])])

    def is_available(self, payload, known):
        order = Order.objects.filter(number=payload["orderNumber"]).first()
        if order is None or order.status not in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED):
            return False
        if known.conversation_id and order.conversation_id != known.conversation_id:
            return False
        return order.refundable_amount > 0

    def on_approved(self, *, action) -> None:
        """Refund the conversation's order, once: the outcome is kept on `action.result["refund"]`
        and the refund is keyed by the action, so a repeat after a crash finds it already made."""
        if "refund" in action.result:
            return
        order_number = action.payload.get("orderNumber", "")
        order = Order.objects.filter(number=order_number, conversation_id=action.conversation_id).first()
        if order is None:
            refund = {"error": f"No order {order_number or '(none given)'} in this conversation."}
        else:
            try:
                order = order_refund(
                    order=order,
                    amount=action.payload.get("amount"),
                    reason=f"Operator-approved {action.id}",
                    idempotency_key=f"action:{action.id}",
                )
            except ApplicationError as exc:
                refund = {"order": order.number, "error": exc.detail, "code": exc.code}
            else:
                refund = {
                    "order": order.number,
                    "refunded_total": f"{order.refunded_total:.2f}",
                    "currency": order.currency,
                    "order_status": order.status,
                }
        action.result = {**action.result, "refund": refund}
        Action.objects.filter(pk=action.pk).update(result=action.result)

    def approval_error(self, *, action) -> str:
        return action.result.get("refund", {}).get("error", "")


class OrderCancellation(OperatorApproved):
    """ "Cancel my order": offered for a paid order of this conversation whose parcel has not left.
    Approving it cancels the parcel (`order_fulfilment_transition` → cancelled, audited with the
    action) and refunds what is left of the order through its provider, both once (the outcome is
    kept on `action.result["cancellation"]`, the refund keyed by the action). A request for an
    order already shipped is refused with the fulfilment's own code; one naming no order of this
    conversation is left to the operator, as before."""

    type = ActionTypeName.ORDER_CANCELLATION
    label = "Cancel my order"
    title = "Order cancellation"
    approval_failure = "the order could not be cancelled automatically"

    def refusal(self, *, action, payload):
        order = _conversation_order(order_number=payload.get("orderNumber", ""), conversation_id=action.conversation_id)
        if order is None or order.fulfilment_status == FulfilmentStatus.CANCELLED:
            return None
        return fulfilment_refusal(order=order, to_status=FulfilmentStatus.CANCELLED)

    def is_available(self, payload, known):
        order = Order.objects.filter(number=payload.get("orderNumber", "")).first()
        if order is None or order.status != OrderStatus.PAID:
            return False
        if known.conversation_id and order.conversation_id != known.conversation_id:
            return False
        return fulfilment_refusal(order=order, to_status=FulfilmentStatus.CANCELLED) is None

    def on_approved(self, *, action) -> None:
        if "cancellation" in action.result:
            return
        order = _conversation_order(
            order_number=action.payload.get("orderNumber", ""), conversation_id=action.conversation_id
        )
        if order is None:
            return  # nothing named: the operator's reply is all there is to it
        outcome: dict = {"order": order.number}
        try:
            if order.fulfilment_status != FulfilmentStatus.CANCELLED:
                order = order_fulfilment_transition(
                    order=order, to_status=FulfilmentStatus.CANCELLED, note=f"Operator-approved {action.id}"
                )
            if refund_refusal(order=order) is None:
                order = order_refund(
                    order=order, reason=f"Order cancelled ({action.id})", idempotency_key=f"action:{action.id}"
                )
        except ApplicationError as exc:
            outcome.update(error=exc.detail, code=exc.code)
        outcome.update(fulfilment=order.fulfilment_status, refunded_total=f"{order.refunded_total:.2f}")
        action.result = {**action.result, "cancellation": outcome}
        Action.objects.filter(pk=action.pk).update(result=action.result)

    def approval_error(self, *, action) -> str:
        return action.result.get("cancellation", {}).get("error", "")
