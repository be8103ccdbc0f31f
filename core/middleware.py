from django.conf import settings

_DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'self'; base-uri 'self'; form-action 'self'"
)


class ContentSecurityPolicyMiddleware:
    """A strict CSP on every page we render; the admin and the API docs keep their own needs."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "PARLEY_CSP", _DEFAULT_CSP)

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path
        if path.startswith(("/admin/", "/api/docs")):
            return response
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
