from django.apps import AppConfig


class AgenticConfig(AppConfig):
    name = "agentic"
    verbose_name = "Agentic commerce (ACP, GPT actions)"

    def ready(self):
        from agentic import receivers  # noqa: F401  (order_changed → platform webhooks)
        from agentic.services.webhooks import OrderEventSender
        from core.outbox.registry import sender_register

        sender_register(OrderEventSender())
