from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "checkout"
    verbose_name = "Checkout"

    def ready(self):
        # Registers refund_request with the action types (actions sits below checkout).
        from checkout import action_types  # noqa: F401
        from checkout.notices import OrderNoticeEmailSender
        from core.outbox.registry import sender_register

        sender_register(OrderNoticeEmailSender())
