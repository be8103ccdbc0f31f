"""Limits on opening checkouts and on trying discount codes (guessing them), per address and per customer."""

from core.ratelimit import CustomerRateThrottle, RateThrottle, body_text


class CheckoutAddressThrottle(RateThrottle):
    scope = "checkout:address"
    rate_setting = "PARLEY_CHECKOUT_RATE_PER_ADDRESS"


class CheckoutCustomerThrottle(CustomerRateThrottle):
    scope = "checkout:customer"
    rate_setting = "PARLEY_CHECKOUT_RATE_PER_CUSTOMER"


class _DiscountAttempt:
    """Counts only requests that carry a discount code."""

    def key(self, request, view):
        return super().key(request, view) if body_text(request, "discount_code") else None


class DiscountAddressThrottle(_DiscountAttempt, RateThrottle):
    scope = "discount:address"
    rate_setting = "PARLEY_DISCOUNT_RATE_PER_ADDRESS"


class DiscountCustomerThrottle(_DiscountAttempt, CustomerRateThrottle):
    scope = "discount:customer"
    rate_setting = "PARLEY_DISCOUNT_RATE_PER_CUSTOMER"
