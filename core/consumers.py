"""The base of every WebSocket consumer: frames go through the same edge checks as JSON bodies,
and no error closes the socket; the client gets an `error` frame (`code`, `detail`) instead."""

import logging
from urllib.parse import parse_qsl

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from django.conf import settings

from core.error_codes import CoreErrorCode
from core.exceptions import ApplicationError
from core.jsonsafe import InputRefused, json_loads, text_is_clean
from core.unavailable import DETAIL, RETRY_AFTER_SECONDS, service_unavailable, unavailable_logged

logger = logging.getLogger(__name__)

CLOSE_INVALID = 4400
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_LARGE = 4413
CLOSE_TRY_AGAIN_LATER = 4503  # Daphne sends only 1000 and 3000-4999 (not RFC 6455's 1013)


def _scope_is_clean(scope) -> bool:
    """No NUL or lone surrogate in the socket's path or query (a NUL id reaching PostgreSQL raised)."""
    query = scope.get("query_string", b"").decode("utf-8", "replace")
    texts = [scope.get("path", ""), *(text for pair in parse_qsl(query, keep_blank_values=True) for text in pair)]
    return all(text_is_clean(text) for text in texts)


class JsonFrameConsumer(AsyncJsonWebsocketConsumer):
    """Each frame is a JSON text object with a string `type`, handed to `receive_json`.

    A socket URL holding a NUL or a lone surrogate is refused with 4400 before `connect` runs; a
    frame longer than PARLEY_SOCKET_FRAME_MAX_CHARS is answered `request_too_large`, unread, and
    the socket closed 4413.

    Bad frames (binary, not JSON, too deep, NUL or lone surrogates, no `type`) are answered with
    an `error` frame; so is any exception a handler raises (ApplicationError with its own code,
    an unavailable database as `service_unavailable` with `retry_after`, anything else as
    `server_error`, logged). A connect that meets an unavailable database is closed 4503."""

    async def dispatch(self, message):
        """Channels' dispatch without its `close_old_connections` hop before every message.

        Channels (4.2+) runs `close_old_connections` on the process's one thread-sensitive
        executor before each handler, for consumers that use the async ORM. Ours never do: every
        database call goes through `database_sync_to_async`, which closes stale connections
        around the call on its own. Without the hop, a frame pushed to a socket (a decision's
        `action.status`, an operator's reply) and a `ping` never queue behind that one thread,
        where every socket handshake of the process also reads the database."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    accepted = False

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        self.accepted = True

    async def websocket_connect(self, message):
        if not _scope_is_clean(self.scope):
            await self.close(code=CLOSE_INVALID)  # before accept: the handshake is refused
            return
        try:
            await super().websocket_connect(message)
        except Exception as exc:
            if not service_unavailable(exc):
                raise
            # The client is told to come back (4503, like HTTP's 503) instead of a dropped
            # handshake it cannot tell from a refusal; its reconnect asks for what it missed.
            unavailable_logged(exc, f"{type(self).__name__} connect")
            if not self.accepted:
                await self.accept()
            await self.close(code=CLOSE_TRY_AGAIN_LATER)

    async def receive(self, text_data=None, bytes_data=None):
        limit = settings.PARLEY_SOCKET_FRAME_MAX_CHARS
        if len(text_data if text_data is not None else bytes_data or b"") > limit:
            # Daphne takes a frame of any size; parsing megabytes per frame, as fast as a client
            # can send them, is the cost. Refused unread, and the socket closed (HTTP's 413).
            await self.send_error(CoreErrorCode.REQUEST_TOO_LARGE, f"A frame is at most {limit} characters.")
            await self.close(code=CLOSE_TOO_LARGE)
            return
        if text_data is None:
            await self.send_error(CoreErrorCode.INVALID_FRAME, "Send JSON text frames.")
            return
        try:
            content = json_loads(text_data)
        except InputRefused as exc:
            await self.send_error(exc.code, exc.detail)
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error(CoreErrorCode.INVALID_EVENT, "Each frame is an object with a string `type`.")
            return
        try:
            await self.receive_json(content)
        except ApplicationError as exc:
            # A rate limit says when to try again, whichever frame met it (not only `message`).
            retry_after = getattr(exc, "retry_after", None)
            await self.send_error(exc.code, exc.detail, **({"retry_after": retry_after} if retry_after else {}))
        except Exception as exc:
            if service_unavailable(exc):
                unavailable_logged(exc, f"{type(self).__name__} {content['type'][:40]!r} frame")
                await self.send_error(CoreErrorCode.SERVICE_UNAVAILABLE, DETAIL, retry_after=RETRY_AFTER_SECONDS)
                return
            logger.exception("%s: %r frame failed", type(self).__name__, content["type"][:40])
            await self.send_error(CoreErrorCode.SERVER_ERROR, "Something went wrong on our side; please try again.")

    async def send_error(self, code: str, detail: str, **extra) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail, **extra})

    async def layer_memberships_lost(self, event) -> None:
        """Redis lost this socket's groups (core.channel_layer): what was pushed meanwhile never
        reached it. Closed with 4503, the client reconnects and asks for what it missed."""
        await self.close(code=CLOSE_TRY_AGAIN_LATER)


class SocketNotFoundConsumer(AsyncWebsocketConsumer):
    """The last WebSocket route: an unknown path is accepted and closed with 4404, not a 500."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)


class SocketUnavailableGuard:
    """Around the socket stack: channels' session and user lookup (AuthMiddlewareStack) reads the
    database before any consumer runs, so an unavailable one would drop the handshake with a
    traceback. The client gets 4503 instead, as from a consumer's own connect, and reconnects."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "websocket":
            return await self.application(scope, receive, send)
        sent = []

        async def send_tracked(message):
            sent.append(message["type"])
            await send(message)

        try:
            return await self.application(scope, receive, send_tracked)
        except Exception as exc:
            if not service_unavailable(exc) or "websocket.close" in sent:
                raise
            unavailable_logged(exc, f"socket {scope.get('path', '')[:80]}")
            if "websocket.accept" not in sent:
                await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})
