"""The `/mcp/` door in the ASGI app: host check, API key, then the SDK's Streamable HTTP transport.

Stateless and JSON-answering on purpose: every POST is a whole exchange, so any Daphne process
can answer any request (DESIGN.md: nothing held in a process that another one needs) and no
event stream stays open. The SDK's session manager needs a running task group, which it
normally gets from an ASGI lifespan; Daphne has no lifespan, so each request runs a manager of
its own (in stateless mode that is all a manager does: one transport per request).
"""

import json

from channels.db import database_sync_to_async
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from agentic.error_codes import AcpErrorCode
from agentic.exceptions import AcpError
from agentic.mcp.server import current_client_ip, current_platform, mcp_server_build
from agentic.services.auth import platform_authenticate
from core.error_codes import CoreErrorCode
from core.exceptions import error_body
from core.unavailable import DETAIL, RETRY_AFTER_SECONDS, service_unavailable, unavailable_logged

MAX_BODY_BYTES = 1024 * 1024


async def _answer(send, status: int, body: dict, headers: dict | None = None) -> None:
    raw = json.dumps(body).encode()
    header_list = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    header_list += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": header_list})
    await send({"type": "http.response.body", "body": raw})


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


class McpDoor:
    """ASGI app for `/mcp` and `/mcp/`: 401 without a valid agent platform key, else the MCP server."""

    def __init__(self):
        self.server = mcp_server_build()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        # Django checks Host for its own views; this door is outside Django, so it checks the same list.
        domain, _port = split_domain_port(_header(scope, b"host"))
        allowed = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]  # Django's own fallback (HttpRequest.get_host)
        if not domain or not validate_host(domain, allowed):
            await _answer(send, 400, error_body(CoreErrorCode.INVALID_REQUEST, "Host not allowed."))
            return
        # Stateless and JSON-answering, the server never speaks first: the SDK would hold a GET
        # open as an event stream that nothing is ever written to, one connection per request for
        # as long as the client likes. The transport's spec allows 405 for GET; DELETE ends a
        # session, and there are none.
        if scope.get("method") != "POST":
            await _answer(
                send,
                405,
                error_body(AcpErrorCode.METHOD_NOT_ALLOWED, f"{scope.get('method')} is not allowed here; POST."),
                {"Allow": "POST"},
            )
            return
        try:
            platform = await database_sync_to_async(platform_authenticate)(
                authorization=_header(scope, b"authorization")
            )
        except AcpError as exc:
            await _answer(
                send,
                exc.status,
                error_body(exc.code, exc.message),
                {"WWW-Authenticate": 'Bearer realm="mcp"'},
            )
            return
        except Exception as exc:
            if not service_unavailable(exc):
                raise
            unavailable_logged(exc, "MCP key check")
            await _answer(
                send,
                503,
                error_body(AcpErrorCode.SERVICE_UNAVAILABLE, DETAIL),
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
            return
        manager = StreamableHTTPSessionManager(
            app=self.server._lowlevel_server,  # the SDK's own wiring (MCPServer.session_manager) does the same
            json_response=True,
            stateless=True,
            max_request_body_size=MAX_BODY_BYTES,
        )
        platform_token = current_platform.set(platform)
        client = scope.get("client") or ("", 0)
        ip_token = current_client_ip.set(client[0] or "")
        try:
            async with manager.run():
                await manager.handle_request(scope, receive, send)
        finally:
            current_client_ip.reset(ip_token)
            current_platform.reset(platform_token)


class WithMcpDoor:
    """Routes `/mcp` and `/mcp/` to the MCP door and everything else to `http_app` (Django)."""

    def __init__(self, http_app):
        self.http_app = http_app
        self.door = McpDoor()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] in ("/mcp", "/mcp/"):
            await self.door(scope, receive, send)
        else:
            await self.http_app(scope, receive, send)
