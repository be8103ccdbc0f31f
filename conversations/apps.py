from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Conversations"

    def ready(self):
        from alerts.services.notices import notice_chat_copy_register
        from conversations import (
            action_types,  # noqa: F401  (registers talk_to_human)
            receivers,  # noqa: F401  (checkout's payment signals → messages)
        )
        from conversations.outbound.email import EmailChannel
        from conversations.outbound.web import WebChannel
        from conversations.outbound.whatsapp import WhatsAppChannel
        from conversations.services.alert_notices import alert_notice_chat_copy
        from conversations.services.operator_replies import OperatorReplySender
        from conversations.services.order_notices import OrderNoticeEmailSender
        from conversations.services.whatsapp_outbound import WhatsAppReplySender
        from core.outbound import channel_register
        from core.outbox.registry import sender_register

        sender_register(OperatorReplySender())
        sender_register(WhatsAppReplySender())
        sender_register(OrderNoticeEmailSender())
        for channel in (WebChannel(), WhatsAppChannel(), EmailChannel()):
            channel_register(channel)  # core.outbound sends for every app; the channels are ours
        notice_chat_copy_register(alert_notice_chat_copy)  # a notice's copy in the chat
