from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = "Actions"

    def ready(self):
        from actions.services.responses import ActionResponseSender
        from core.outbox.registry import sender_register

        sender_register(ActionResponseSender())
