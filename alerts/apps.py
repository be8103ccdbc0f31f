from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Back-in-stock alerts"

    def ready(self):
        from alerts import receivers  # noqa: F401  (connects the stock_changed listener)
        from alerts.services.confirmations import ConfirmationSender
        from alerts.services.notices import NoticeSender
        from core.outbox.registry import sender_register

        sender_register(ConfirmationSender())
        sender_register(NoticeSender())
