from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "checkout"
    verbose_name = "Checkout"

    def ready(self):
        # Registers refund_request with the action types (actions sits below checkout).
        from checkout import action_types  # noqa: F401
