"""The payment provider interface: small dataclasses in, small dataclasses out."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class CheckoutLine:
    sku: str
    name: str
    quantity: int
    unit_amount: Decimal
    stripe_price_id: str = ""


@dataclass(frozen=True)
class CheckoutRequest:
    reference: str  # our CheckoutSession id
    idempotency_key: str
    mode: str  # payment | subscription
    currency: str
    lines: tuple[CheckoutLine, ...]
    amount_total: Decimal
    success_url: str
    cancel_url: str
    expires_at: datetime
    metadata: dict[str, str] = field(default_factory=dict)
    customer_email: str = ""
    discount_amount: Decimal = Decimal("0")


@dataclass(frozen=True)
class CheckoutResult:
    is_success: bool
    provider_ref: str = ""
    url: str = ""
    amount: Decimal = Decimal("0")
    currency: str = ""
    error: str = ""
    raw: dict = field(default_factory=dict)


class PaymentProvider(Protocol):
    name: str

    def create_checkout(self, request: CheckoutRequest) -> CheckoutResult: ...

    def expire_checkout(self, provider_ref: str) -> bool: ...

    def refund(self, request: "RefundRequest") -> "RefundResult": ...

    def charge_delegated(self, request: "DelegatedChargeRequest") -> "ChargeResult": ...


@dataclass(frozen=True)
class RefundRequest:
    reference: str  # our Refund id
    idempotency_key: str
    payment_ref: str  # the provider's payment (Stripe: the PaymentIntent id)
    amount: Decimal
    currency: str
    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    is_success: bool
    provider_ref: str = ""
    status: str = ""  # succeeded | pending | failed
    amount: Decimal = Decimal("0")
    currency: str = ""
    error: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DelegatedChargeRequest:
    """Charge a payment credential an agent platform was granted by the buyer (ACP delegated payment).

    Stripe: a shared payment token (`spt_…`) confirmed on a PaymentIntent. The offline test
    provider: its own test tokens (`tok_test_…`, see `checkout/providers/offline_provider.py`).
    `authentication` is the agent's 3-D Secure result (ACP `authentication_result`), when any.
    """

    reference: str  # our CheckoutSession id
    idempotency_key: str
    token: str
    amount: Decimal
    currency: str
    metadata: dict[str, str] = field(default_factory=dict)
    authentication: dict | None = None
    description: str = ""


@dataclass(frozen=True)
class ChargeResult:
    """`status`: succeeded | requires_authentication | declined | error (the provider could not be asked)."""

    status: str
    provider_ref: str = ""
    amount: Decimal = Decimal("0")
    currency: str = ""
    error: str = ""
    decline_code: str = ""
    raw: dict = field(default_factory=dict)

    @property
    def is_success(self) -> bool:
        return self.status == "succeeded"
