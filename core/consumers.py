"""The base of every WebSocket consumer: frames go through the same edge checks as JSON bodies,
and no error closes the socket; the client gets an `error` frame (`code`, `detail`) instead."""

import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer

from core.exceptions import ApplicationError
from core.jsonsafe import InputRefused, json_loads

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404


class JsonFrameConsumer(AsyncJsonWebsocketConsumer):
    """Each frame is a JSON text object with a string `type`, handed to `receive_json`.

    Bad frames (binary, not JSON, too deep, NUL or lone surrogates, no `type`) are answered with
    an `error` frame; so is any exception a handler raises (ApplicationError with its own code,
    anything else as `server_error`, logged)."""

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            await self.send_error("invalid_frame", "Send JSON text frames.")
            return
        try:
            content = json_loads(text_data)
        except InputRefused as exc:
            await self.send_error(exc.code, exc.detail)
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("invalid_event", "Each frame is an object with a string `type`.")
            return
        try:
            await self.receive_json(content)
        except ApplicationError as exc:
            await self.send_error(exc.code, exc.detail)
        except Exception:
            logger.exception("%s: %r frame failed", type(self).__name__, content["type"][:40])
            await self.send_error("server_error", "Something went wrong on our side; please try again.")

    async def send_error(self, code: str, detail: str) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail})


class SocketNotFoundConsumer(AsyncWebsocketConsumer):
    """The last WebSocket route: an unknown path is accepted and closed with 4404, not a 500."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)
