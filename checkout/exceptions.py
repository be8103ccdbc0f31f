from core.exceptions import ApplicationError


class CheckoutError(ApplicationError):
    code = "checkout_error"


class PaymentError(CheckoutError):
    """The payment provider refused or failed; nothing was charged."""

    code = "payment_provider_error"
    status_code = 502


class WebhookInvalid(CheckoutError):
    code = "webhook_invalid"
    status_code = 400


class WebhookNotReady(Exception):
    """The event refers to a session this process cannot see yet; retry later."""
