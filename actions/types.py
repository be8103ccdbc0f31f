"""The registry of action types. Adding a type is one class (and its response template): here,
or in the app that owns what the type needs (checkout's `refund_request`).

Each type knows its payload schema, its label and style, whether it needs confirmation or an
operator, its prerequisites ("when to show"), which are checked against the catalogue, never
taken from whoever proposed the action, and what approving it does (`on_approved`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from rest_framework import serializers

from actions.enums import ActionStyle, ActionTypeName
from catalog import selectors as catalog_selectors
from core.exceptions import ApplicationError

HIGH_CONFIDENCE = 0.8


@dataclass(frozen=True)
class Prerequisites:
    """What the server knows about the conversation when deciding a reply's buttons."""

    model_number: str = ""
    contact_known: bool = False
    alternatives_requested: bool = False
    conversation_id: str = ""


REGISTRY: dict[str, ActionType] = {}


class ActionType:
    """Subclass it with a `type` and it is registered: that class (plus a response template in
    the admin for operator-decided types) is all a new action type needs."""

    type: ClassVar[str]
    label: ClassVar[str]
    # What an operator calls it in the inbox ("Refund request"); `label` is the customer's button.
    title: ClassVar[str] = ""
    style: ClassVar[str] = ActionStyle.SECONDARY
    requires_confirmation: ClassVar[bool] = False
    needs_operator: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "type" in cls.__dict__:
            if cls.type in REGISTRY and type(REGISTRY[cls.type]).__qualname__ != cls.__qualname__:
                raise ValueError(f"Action type {cls.type!r} is registered twice.")
            REGISTRY[cls.type] = cls()

    class Payload(serializers.Serializer):
        pass

    def clean_payload(self, payload: dict) -> dict | None:
        """The payload as the schema allows it, or None when it does not fit."""
        serializer = self.Payload(data=payload)
        if not serializer.is_valid():
            return None
        return {key: value for key, value in serializer.validated_data.items() if value not in (None, "")}

    def is_available(self, payload: dict, known: Prerequisites) -> bool:
        return True

    def on_clicked(self, *, action):
        """What pressing the button does at once, in the click's transaction, after the action is
        `clicked` (nothing by default: most buttons lead to a call of their own); returns the action
        if it moved it on. The app that owns the effect implements it (conversations'
        `talk_to_human` asks for a person)."""
        return None

    @property
    def operator_title(self) -> str:
        return self.title or self.label

    def form_fields(self) -> list[dict]:
        """The payload's fields as the operator's edit form needs them, from the `Payload` schema
        (which also validates what the form sends back): name, label, input kind, limits."""
        return [_form_field(name, field) for name, field in self.Payload().fields.items()]

    def refusal(self, *, action, payload: dict) -> ApplicationError | None:
        """Why this request cannot go ahead as it stands (the customer pressing it, an operator
        approving it, or approving it with `payload` edited), or None. Checked with the facts of
        the moment, not those of when the button was rendered. Nothing by default."""
        return None

    def change_text(self, *, action, before: dict, after: dict) -> str:
        """What an operator's edit changed, in the customer's words ("Order number: ORD-1 → ORD-2")."""
        fields = self.Payload().fields
        changes = []
        for name, field in fields.items():
            old, new = before.get(name, ""), after.get(name, "")
            if str(old) != str(new):
                label = field.label or name
                changes.append(f"{label}: {old} → {new}" if old not in ("", None) else f"{label}: {new}")
        return "; ".join(changes)

    # What the customer hears (after "approved, but") when `on_approved` could not do its part.
    approval_failure: ClassVar[str] = "we could not complete it automatically"

    def on_approved(self, *, action) -> None:
        """What an operator's approval (or approval with edits) does besides telling the customer;
        nothing by default. The app that owns the effect implements it (checkout refunds).

        Runs in the response's delivery, before the reply is rendered, with no transaction open
        and no row locked. A delivery may run again after a crash, so it must be idempotent:
        record the outcome on `action.result` and do nothing once it is there.
        """

    def approval_error(self, *, action) -> str:
        """Why `on_approved` could not do its part, from what it recorded ("" when it did, or had
        nothing to do): the customer is told, and the action fails with this reason."""
        return ""


class CheckoutNow(ActionType):
    type = ActionTypeName.CHECKOUT_NOW
    label = "Checkout now"
    style = ActionStyle.PRIMARY
    requires_confirmation = True

    class Payload(serializers.Serializer):
        psNumber = serializers.CharField(max_length=32)
        quantity = serializers.IntegerField(min_value=1, default=1)

        def validate_quantity(self, value):
            if value > settings.PARLEY_MAX_QUANTITY:
                raise serializers.ValidationError(f"At most {settings.PARLEY_MAX_QUANTITY} per order.")
            return value

    def is_available(self, payload, known):
        product = catalog_selectors.product_sellable_get(ps_number=payload["psNumber"])
        if product is None:
            return False
        if not product.in_stock or payload["quantity"] > product.stock_quantity:
            return False
        if known.model_number:
            model = catalog_selectors.appliance_model_get(model_number=known.model_number)
            if model is not None:
                level, confidence = catalog_selectors.compatibility_check(product=product, appliance_model=model)
                return level == "yes" and confidence >= HIGH_CONFIDENCE
        return True


class CheckCompatibleAlternatives(ActionType):
    type = ActionTypeName.CHECK_COMPATIBLE_ALTERNATIVES
    label = "Show compatible alternatives"

    class Payload(serializers.Serializer):
        modelNumber = serializers.CharField(max_length=64, required=False, allow_blank=True)
        psNumber = serializers.CharField(max_length=32, required=False, allow_blank=True)
        applianceType = serializers.CharField(max_length=40, required=False, allow_blank=True)

        def validate(self, attrs):
            if not any(attrs.get(key) for key in ("modelNumber", "psNumber", "applianceType")):
                raise serializers.ValidationError("One of modelNumber, psNumber or applianceType is required.")
            return attrs

    def is_available(self, payload, known):
        # In scope is enough here, not sold: alternatives to a discontinued part are the point.
        in_scope = catalog_selectors.appliance_type_in_scope
        if payload.get("applianceType") and not in_scope(appliance_type=payload["applianceType"]):
            return False
        if payload.get("psNumber"):
            product = catalog_selectors.product_get(ps_number=payload["psNumber"])
            if product is None or not in_scope(appliance_type=product.appliance_type):
                return False
        if payload.get("modelNumber"):
            model = catalog_selectors.appliance_model_get(model_number=payload["modelNumber"])
            if model is None or not in_scope(appliance_type=model.appliance_type):
                return False
        return True


class NotifyWhenInStock(ActionType):
    type = ActionTypeName.NOTIFY_WHEN_IN_STOCK
    label = "Notify me when in stock"

    class Payload(serializers.Serializer):
        psNumber = serializers.CharField(max_length=32)
        channel = serializers.ChoiceField(choices=["email", "sms", "whatsapp", "web"], default="email")

    def is_available(self, payload, known):
        # A discontinued part will never be back: no button the alerts API would then refuse.
        product = catalog_selectors.product_sellable_get(ps_number=payload["psNumber"])
        return product is not None and not product.in_stock


class OperatorApproved(ActionType):
    """A request the assistant may only propose; an operator approves, denies or edits it.

    A type whose availability or approval needs another app's data is declared in that app,
    which sits above this one (checkout's `RefundRequest` and `OrderCancellation`, in
    `checkout/action_types.py`)."""

    needs_operator = True

    class Payload(serializers.Serializer):
        orderNumber = serializers.CharField(max_length=32, required=False, allow_blank=True, label="Order number")
        reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, label="Customer's reason")
        details = serializers.CharField(max_length=2000, required=False, allow_blank=True, label="Details")


class PolicyException(OperatorApproved):
    type = ActionTypeName.POLICY_EXCEPTION
    label = "Ask for an exception"
    title = "Policy exception"


class PolicyClarification(OperatorApproved):
    type = ActionTypeName.POLICY_CLARIFICATION
    label = "Ask about our policy"
    title = "Policy question"


def action_type_get(type_name: str) -> ActionType | None:
    return REGISTRY.get(type_name)


def _form_field(name: str, field: serializers.Field) -> dict:
    style = getattr(field, "style", {}) or {}
    if isinstance(field, serializers.ChoiceField):
        kind = "choice"
    elif isinstance(field, serializers.IntegerField):
        kind = "integer"
    else:
        kind = style.get("input") or ("textarea" if (getattr(field, "max_length", None) or 0) > 200 else "text")
    return {
        "name": name,
        "label": field.label or name,
        "kind": kind,
        "required": bool(field.required),
        "maxLength": getattr(field, "max_length", None),
        "choices": [str(c) for c in field.choices] if isinstance(field, serializers.ChoiceField) else [],
        "help": field.help_text or "",
    }


# Orders live in checkout, above this app: checkout registers how the inbox sees the order a
# request names when it is loaded (`CheckoutConfig.ready`), as it registers refund_request.
OrderSummary = Callable[..., dict | None]
_order_summary: list[OrderSummary] = []


def order_summary_register(function: OrderSummary) -> None:
    _order_summary[:] = [function]


def order_summary_get(*, order_number: str, conversation_id: str) -> dict | None:
    """The order a request names (number, status, total, refunded), if it is this conversation's."""
    if not order_number or not _order_summary:
        return None
    return _order_summary[0](order_number=order_number, conversation_id=conversation_id)
