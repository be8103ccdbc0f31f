"""The web chat channel: a push to the conversation's WebSocket group.

It stores nothing: the caller's service has already written the message row (so a client
that was away sees it in its history); this only tells the open sockets.
"""

from core import realtime
from core.outbound import DeliveryResult, OutboundChannel, OutboundMessage


class WebChannel(OutboundChannel):
    name = "web"

    def send(self, message: OutboundMessage) -> DeliveryResult:
        conversation_id = message.conversation_id or message.to
        if not conversation_id:
            return DeliveryResult.failed("A web message needs a conversation.", retryable=False)
        event = message.extra.get("event") or {
            "type": "message",
            "message": {"role": "assistant", "content": message.text},
        }
        if "seq" not in event:  # the stored message it announces, else the conversation's latest
            from conversations.selectors import conversation_seq_get

            message_id = message.extra.get("message_id") or None
            event = {**event, "seq": conversation_seq_get(conversation_id=conversation_id, message_id=message_id)}
        # The outbox sends outside any transaction, so this goes at once.
        realtime.send_event_on_commit(realtime.conversation_group(conversation_id), event)
        return DeliveryResult.ok(external_id=message.extra.get("message_id", ""))
