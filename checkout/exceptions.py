from checkout.error_codes import CheckoutErrorCode
from core.exceptions import ApplicationError


class CheckoutError(ApplicationError):
    code = CheckoutErrorCode.CHECKOUT_ERROR


class PaymentError(CheckoutError):
    """The payment provider refused or failed; nothing was charged."""

    code = CheckoutErrorCode.PAYMENT_PROVIDER_ERROR
    status_code = 502


class WebhookInvalid(CheckoutError):
    code = CheckoutErrorCode.WEBHOOK_INVALID
    status_code = 400


class WebhookNotReady(Exception):
    """The event refers to a session this process cannot see yet; retry later."""
