"""One error type for the domain, one handler that maps every error to the same JSON shape.

Every API error body is `{"error": {"code": str, "detail": str, "fields": {...}}}`.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

from core.error_codes import CoreErrorCode

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A refusal the client caused and can understand: stable `code`, readable `detail`."""

    code = CoreErrorCode.INVALID_REQUEST
    status_code = 400

    def __init__(
        self, detail: str, *, code: str | None = None, fields: dict | None = None, status_code: int | None = None
    ):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.fields = fields or {}


class NotFound(ApplicationError):
    code = CoreErrorCode.NOT_FOUND
    status_code = 404


class Forbidden(ApplicationError):
    code = CoreErrorCode.FORBIDDEN
    status_code = 403


class Conflict(ApplicationError):
    code = CoreErrorCode.CONFLICT
    status_code = 409


class RateLimited(ApplicationError):
    """Too many requests; `retry_after` (seconds) becomes the Retry-After header."""

    code = CoreErrorCode.RATE_LIMITED
    status_code = 429

    def __init__(self, detail: str, *, retry_after: int | None = None, **kwargs):
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "detail": detail, "fields": fields or {}}}


def _flatten_fields(data) -> dict:
    if isinstance(data, dict):
        return {key: _messages(value) for key, value in data.items()}
    return {"non_field_errors": _messages(data)}


def _messages(value) -> list[str] | dict:
    if isinstance(value, dict):
        return _flatten_fields(value)
    if isinstance(value, list):
        out = []
        for item in value:
            out.extend(_messages(item) if isinstance(item, list) else [item if isinstance(item, dict) else str(item)])
        return out
    return [str(value)]


def api_exception_handler(exc, context):
    # Not at module level: importing rest_framework.views builds APIView, which imports the
    # default parser (core.parsers), which needs this module's ApplicationError.
    from rest_framework.views import exception_handler

    if isinstance(exc, ApplicationError):
        response = Response(error_body(exc.code, exc.detail, exc.fields), status=exc.status_code)
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        return Response(error_body(CoreErrorCode.INVALID, "; ".join(exc.messages), fields), status=400)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        response.data = error_body(
            CoreErrorCode.INVALID, "The request is not valid; see fields.", _flatten_fields(exc.detail)
        )
    elif isinstance(exc, drf_exceptions.Throttled):  # one code for every limit (DRF says "throttled")
        response.data = error_body(RateLimited.code, str(exc.detail))
    elif isinstance(exc, drf_exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = error_body(code, str(exc.detail))
    return response
