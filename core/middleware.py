from django.conf import settings
from django.http import HttpResponse, JsonResponse

from core.error_codes import CoreErrorCode
from core.exceptions import error_body
from core.jsonsafe import text_is_clean
from core.parsers import request_too_large
from core.unavailable import DETAIL, RETRY_AFTER_SECONDS, service_unavailable, unavailable_logged

_DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'self'; base-uri 'self'; form-action 'self'"
)
# The admin's theme (django-unfold) runs Alpine.js, which compiles its attribute expressions with
# the Function constructor ('unsafe-eval'), and writes its colours in a <style> element; it has no
# inline <script> and no event-handler attributes, and every file is served from /static/.
_DEFAULT_ADMIN_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'self'; base-uri 'self'; form-action 'self'"
)


class ContentSecurityPolicyMiddleware:
    """A strict CSP on every page we render; the admin has its own (its theme's needs: no inline
    script, nothing from another origin), the API docs keep Swagger UI's."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "PARLEY_CSP", _DEFAULT_CSP)
        self.admin_policy = getattr(settings, "PARLEY_ADMIN_CSP", _DEFAULT_ADMIN_CSP)

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path
        if path.startswith("/api/docs"):
            return response
        policy = self.admin_policy if path.startswith("/admin/") else self.policy
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


class RequestEdgeMiddleware:
    """Refuses, before any view runs, what no view can handle: a path or query parameter holding a
    NUL or a lone surrogate (404 / 400: PostgreSQL cannot compare such text), a form field the
    same, and a body announced larger than PARLEY_REQUEST_MAX_BYTES (413). Answers carry the
    usual `{"error": {"code", "detail", "fields"}}` body.

    The ACP door (/acp/) answers in its own spec's error shape and checks its own input; the
    admin keeps Django's upload limits (staff may upload files larger than an API body)."""

    exempt_prefixes = ("/acp/", "/admin/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if not text_is_clean(path):
            return JsonResponse(error_body(CoreErrorCode.NOT_FOUND, "Not found."), status=404)
        if path.startswith(self.exempt_prefixes):
            return self.get_response(request)
        refused = self._query_refused(request.GET) or self._body_refused(request)
        return refused or self.get_response(request)

    @staticmethod
    def _query_refused(params):
        for key, values in params.lists():
            if not all(text_is_clean(text) for text in (key, *values)):
                name = key if text_is_clean(key) else "?"
                return JsonResponse(
                    error_body(
                        CoreErrorCode.INVALID_CHARACTERS,
                        "Parameters may not contain NUL characters or unpaired surrogates.",
                        {name: ["Contains a NUL character or an unpaired surrogate."]},
                    ),
                    status=400,
                )
        return None

    def _body_refused(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.PARLEY_REQUEST_MAX_BYTES:
            exc = request_too_large()
            return JsonResponse(error_body(exc.code, exc.detail), status=exc.status_code)
        if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            return self._query_refused(request.POST)
        return None


_UNAVAILABLE_PAGE = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Back in a moment</title></head>"
    f"<body><h1>Back in a moment</h1><p>{DETAIL}</p></body></html>"
)


class ServiceUnavailableMiddleware:
    """A view (DRF's included: its handler leaves these to us) that met an unavailable database
    answers 503 `service_unavailable` with Retry-After, in JSON, or as a short page to a browser
    asking for HTML, instead of Django's 500 page. See core.unavailable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not service_unavailable(exception):
            return None
        unavailable_logged(exception, f"{request.method} {request.path}")
        if "text/html" in request.headers.get("Accept", ""):
            response = HttpResponse(_UNAVAILABLE_PAGE, status=503)
        else:
            response = JsonResponse(error_body(CoreErrorCode.SERVICE_UNAVAILABLE, DETAIL), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
