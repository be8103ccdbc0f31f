from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Back-in-stock alerts"

    def ready(self):
        from alerts import receivers  # noqa: F401  (connects the stock_changed listener)
