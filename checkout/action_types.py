"""The action types whose rules are checkout's: declared here, where orders and refunds live,
and registered with the actions registry when checkout is loaded (`CheckoutConfig.ready`)."""

from rest_framework import serializers

from actions.enums import ActionTypeName
from actions.models import Action
from actions.types import OperatorApproved
from checkout.enums import OrderStatus
from checkout.models import Order
from checkout.services.refunds import order_refund
from core.exceptions import ApplicationError


class RefundRequest(OperatorApproved):
    """Shown only for a paid (not fully refunded) order of this conversation; approving it refunds
    through the payment provider (`amount` empty: everything still refundable)."""

    type = ActionTypeName.REFUND_REQUEST
    label = "Request a refund"
    approval_failure = "the refund could not be made automatically"

    class Payload(OperatorApproved.Payload):
        orderNumber = serializers.CharField(max_length=32)
        amount = serializers.RegexField(r"^\d{1,10}(\.\d{1,2})?$", required=False, allow_blank=True, max_length=13)

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
