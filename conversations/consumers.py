"""WebSocket transport for the chat and the operator inbox. Everything else is a service call."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from actions.selectors import action_get_for_conversation, actions_pending_list
from actions.serializers import action_to_dict, operator_action_to_dict
from actions.services.clicks import action_click
from conversations.error_codes import ConversationErrorCode
from conversations.selectors import conversation_get_authorized, messages_list
from conversations.serializers import message_to_dict
from conversations.services.messages import history_after_seq_clean
from conversations.services.replies import customer_message_handle
from core import realtime
from core.consumers import JsonFrameConsumer
from core.error_codes import CoreErrorCode
from core.exceptions import ApplicationError

CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def _authorize(conversation_id, token):
    return conversation_get_authorized(conversation_id=conversation_id, token=token)


@database_sync_to_async
def _history(conversation, after, after_seq):
    return [message_to_dict(m) for m in messages_list(conversation=conversation, after_id=after, after_seq=after_seq)]


@database_sync_to_async
def _send_message(conversation, content, client_message_id):
    customer_message_handle(conversation=conversation, content=content, client_message_id=client_message_id)


@database_sync_to_async
def _handoff_request(conversation):
    from conversations.services.handoff import handoff_request

    handoff_request(conversation=conversation)


@database_sync_to_async
def _operator_typing(conversation_id, user, active):
    from conversations.services.operator_replies import operator_typing_push

    operator_typing_push(conversation_id=conversation_id, operator=user, active=active)


@database_sync_to_async
def _click(conversation, action_id):
    action = action_get_for_conversation(action_id=action_id, conversation_id=conversation.id)
    return action_to_dict(action_click(action=action))


class ChatConsumer(JsonFrameConsumer):
    group_name = None

    async def connect(self):
        conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        query = parse_qs(self.scope.get("query_string", b"").decode())
        token = (query.get("token") or [None])[0]
        try:
            self.conversation = await _authorize(conversation_id, token)
        except ApplicationError:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group_name = realtime.conversation_group(self.conversation.id)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        after = (query.get("after") or [None])[0]
        after_seq = (query.get("after_seq") or [None])[0]
        if after or after_seq:
            await self._send_history(after, after_seq)

    async def disconnect(self, code):
        if self.group_name:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content, **kwargs):
        handler = {
            "message": self._on_message,
            "action.click": self._on_action_click,
            "history": self._on_history,
            "handoff.request": self._on_handoff_request,
            "ping": self._on_ping,
        }.get(content["type"])
        if handler is None:
            await self._error(CoreErrorCode.UNKNOWN_TYPE, f"Unknown event type {content['type'][:40]!r}.")
            return
        await handler(content)

    async def _on_message(self, content):
        client_message_id = content.get("client_message_id") or ""
        if not isinstance(client_message_id, str):
            await self._error(ConversationErrorCode.MESSAGE_INVALID, "`client_message_id` must be a string.")
            return
        # The reply reaches this socket (and the customer's other tabs) through the group.
        try:
            await _send_message(self.conversation, content.get("content"), client_message_id)
        except ApplicationError as exc:
            # Refused (too fast, too long, …): the error names the message, so the page can say
            # which bubble was not sent, and when a rate-limited one may be sent again.
            frame = {"type": "error", "code": exc.code, "detail": exc.detail}
            if client_message_id:
                frame["client_message_id"] = client_message_id
            if getattr(exc, "retry_after", None):
                frame["retry_after"] = exc.retry_after
            await self.send_json(frame)

    async def _on_action_click(self, content):
        action_id = content.get("action_id")
        if not isinstance(action_id, str) or not action_id:
            await self._error(ConversationErrorCode.ACTION_INVALID, "`action_id` is required.")
            return
        await _click(self.conversation, action_id)

    async def _on_history(self, content):
        after = content.get("after")
        if after is not None and not isinstance(after, str):
            await self._error(ConversationErrorCode.HISTORY_INVALID, "`after` must be a message id.")
            return
        await self._send_history(after or None, content.get("after_seq"))

    async def _on_ping(self, content):
        await self.send_json({"type": "pong"})

    async def _on_handoff_request(self, content):
        # The `handoff` frame that follows (to every tab) says who answers now.
        await _handoff_request(self.conversation)

    async def _send_history(self, after, after_seq=None):
        try:
            messages = await _history(self.conversation, after, history_after_seq_clean(after_seq))
        except ApplicationError as exc:
            await self._error(exc.code, exc.detail)
            return
        await self.send_json({"type": "history", "messages": messages})

    async def _error(self, code, detail):
        await self.send_error(code, detail)

    # --- events from the group: forwarded as they are -------------------------------

    async def _forward(self, event):
        await self.send_json(event)

    message = _forward
    typing = _forward
    token = _forward
    action_status = _forward
    payment_confirmed = _forward
    alert_notified = _forward
    handoff = _forward  # who answers now (conversations/services/handoff.py)
    resync = _forward  # the channel layer recovered: the client fetches after its last seq


@database_sync_to_async
def _operator_snapshot(user):
    from actions.selectors import actions_recently_decided_list
    from conversations.inbox.selectors import inbox_conversations_list
    from conversations.serializers import inbox_conversation_to_dict

    return {
        "type": "operator.snapshot",
        "actions": [operator_action_to_dict(a) for a in actions_pending_list()],
        "decided": [operator_action_to_dict(a) for a in actions_recently_decided_list()],
        "conversations": [inbox_conversation_to_dict(c) for c in inbox_conversations_list(operator=user)],
    }


@database_sync_to_async
def _operator_conversation(user, conversation_id):
    from conversations.services.operators import conversation_for_operator, conversation_read_mark

    conversation, messages = conversation_for_operator(conversation_id=conversation_id)
    # Opening a conversation is reading it: its unread count for this operator goes to zero.
    conversation_read_mark(operator=user, conversation_id=conversation.id, seq=conversation.last_seq)
    return conversation.id, messages


@database_sync_to_async
def _operator_read(user, conversation_id, seq):
    from conversations.services.operators import conversation_read_mark

    return conversation_read_mark(operator=user, conversation_id=conversation_id, seq=seq)


class OperatorConsumer(JsonFrameConsumer):
    """The operator inbox feed: staff sessions only.

    On connect: an `operator.snapshot` (pending actions, the latest decisions, this operator's
    open conversations with unread counts). Then live `operator.action` (an action became
    pending or was decided), `operator.conversation` (a customer wrote), `operator.handoff` (a
    conversation's handling changed), `operator.note` (an internal note) and `operator.delivery`
    (a WhatsApp message was sent, delivered, read or failed).
    `{"type": "typing", "conversation_id", "active"}` shows the customer that the operator
    holding the conversation is typing. `{"type": "conversation.open", "conversation_id"}`
    answers with `operator.messages`, follows that one conversation live (`message`,
    `action.status`, `handoff`) until another is opened, and marks it read for this operator;
    `{"type": "conversation.read", "conversation_id", "seq"}` marks it read up to `seq`
    (answered by `operator.read`); `{"type": "snapshot"}` asks for a fresh snapshot.
    """

    joined = False
    watching = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_staff or not user.is_active:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(realtime.OPERATORS_GROUP, self.channel_name)
        self.joined = True
        await self.accept()
        await self.send_json(await _operator_snapshot(self.scope["user"]))

    async def disconnect(self, code):
        if self.joined:
            await self.channel_layer.group_discard(realtime.OPERATORS_GROUP, self.channel_name)
        if self.watching:
            await self.channel_layer.group_discard(self.watching, self.channel_name)

    async def receive_json(self, content, **kwargs):
        kind = content["type"]
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "snapshot":
            await self.send_json(await _operator_snapshot(self.scope["user"]))
        elif kind == "conversation.open":
            await self._open(content.get("conversation_id"))
        elif kind == "typing":
            await self._typing(content)
        elif kind == "conversation.read":
            await self._read(content.get("conversation_id"), content.get("seq"))
        else:
            await self.send_error(
                CoreErrorCode.UNKNOWN_TYPE, "Send ping, snapshot, conversation.open, conversation.read or typing."
            )

    async def _typing(self, content):
        conversation_id, active = content.get("conversation_id"), content.get("active")
        if not isinstance(conversation_id, str) or not conversation_id or not isinstance(active, bool):
            await self.send_error(ConversationErrorCode.TYPING_INVALID, "`conversation_id` and a boolean `active`.")
            return
        # A refusal (not the holder) becomes an `error` frame (JsonFrameConsumer).
        await _operator_typing(conversation_id, self.scope["user"], active)

    async def _read(self, conversation_id, seq):
        bad_seq = seq is not None and (isinstance(seq, bool) or not isinstance(seq, int) or seq < 0)
        if not isinstance(conversation_id, str) or not conversation_id or bad_seq:
            await self.send_error(ConversationErrorCode.READ_INVALID, "`conversation_id` and a whole-number `seq`.")
            return
        # An unknown conversation becomes an `error` frame (JsonFrameConsumer).
        seq = await _operator_read(self.scope["user"], conversation_id, seq)
        await self.send_json({"type": "operator.read", "conversation_id": conversation_id, "seq": seq})

    async def _open(self, conversation_id):
        if not isinstance(conversation_id, str) or not conversation_id:
            await self.send_error(ConversationErrorCode.CONVERSATION_INVALID, "`conversation_id`?")
            return
        try:
            conversation_id, messages = await _operator_conversation(self.scope["user"], conversation_id)
        except ApplicationError as exc:
            await self.send_error(exc.code, exc.detail)
            return
        group = realtime.conversation_group(conversation_id)
        if self.watching and self.watching != group:
            await self.channel_layer.group_discard(self.watching, self.channel_name)
        await self.channel_layer.group_add(group, self.channel_name)
        self.watching = group
        await self.send_json({"type": "operator.messages", "conversation_id": conversation_id, "messages": messages})

    async def _forward(self, event):
        await self.send_json(event)

    operator_action = _forward
    operator_conversation = _forward
    operator_handoff = _forward  # a conversation's handling changed (claim, assign, resolve, …)
    operator_note = _forward  # an internal note was added
    operator_delivery = _forward  # where a message sent on WhatsApp stands (Meta's status callbacks)
    # From the conversation being watched.
    message = _forward
    action_status = _forward
    payment_confirmed = _forward
    alert_notified = _forward
    handoff = _forward

    async def resync(self, event):
        # The channel layer recovered from an error: the inbox may have missed pushes.
        await self.send_json(await _operator_snapshot(self.scope["user"]))

    async def typing(self, event):
        pass

    async def token(self, event):
        pass
