from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Conversations"

    def ready(self):
        from conversations import (
            action_types,  # noqa: F401  (registers talk_to_human)
            receivers,  # noqa: F401  (checkout's payment signals → messages)
        )
        from conversations.services.operator_replies import OperatorReplySender
        from conversations.services.whatsapp_outbound import WhatsAppReplySender
        from core.outbox.registry import sender_register

        sender_register(OperatorReplySender())
        sender_register(WhatsAppReplySender())
