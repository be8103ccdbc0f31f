"""Cross-origin access for the embeddable chat widget (`static/parley/widget.js`).

A shop puts the widget on its own site, so the chat's API calls and its WebSocket come from
the shop's origin. Only origins listed in `PARLEY_EMBED_ORIGINS` get through, and only to
what the widget uses (`EMBED_PATHS`, `/ws/chat/`); the operator socket, the admin and every
other endpoint keep the same-origin rule. No cookies cross origins (no
`Access-Control-Allow-Credentials`): the conversation's bearer token is the widget's only key.
"""

from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

# What the widget calls: the chat API, the checkout and alert buttons, its config.
EMBED_PATHS = (
    "/api/chat/",
    "/api/checkout/session",
    "/api/alerts/back-in-stock",
    "/api/analytics/events",
    "/api/analytics/experiments/assign",
    "/chat/widget/",
)
EMBED_SOCKET_PATHS = ("/ws/chat/",)
ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Accept, Authorization, Content-Type, Idempotency-Key"
PREFLIGHT_MAX_AGE = "600"


def embed_origin_allowed(origin: str | None) -> bool:
    """Whether a shop page at `origin` (scheme://host[:port]) may embed the chat."""
    if not origin or origin == "null":
        return False
    allowed = getattr(settings, "PARLEY_EMBED_ORIGINS", ())
    return "*" in allowed or origin.rstrip("/").lower() in allowed


class EmbedCorsMiddleware:
    """CORS headers (and preflight answers) on `EMBED_PATHS` for the allowed embed origins."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(EMBED_PATHS):
            return self.get_response(request)
        origin = request.headers.get("Origin")
        allowed = embed_origin_allowed(origin)
        if allowed and request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        else:
            response = self.get_response(request)
        patch_vary_headers(response, ("Origin",))
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = "Retry-After"
        return response


class EmbedOriginValidator:
    """The WebSocket origin check: this site's own hosts (`ALLOWED_HOSTS`) everywhere, plus the
    embed origins on the chat socket only."""

    def __init__(self, application):
        self.application = application
        self.same_site = AllowedHostsOriginValidator(application)

    async def __call__(self, scope, receive, send):
        if scope.get("type") == "websocket" and scope.get("path", "").startswith(EMBED_SOCKET_PATHS):
            origin = dict(scope.get("headers") or ()).get(b"origin", b"").decode("latin-1")
            if embed_origin_allowed(origin):
                return await self.application(scope, receive, send)
        return await self.same_site(scope, receive, send)
