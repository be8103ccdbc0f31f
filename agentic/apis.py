"""The ACP merchant API: `/acp/checkout_sessions…` (spec in ../shared/acp, version 2026-04-17).

These endpoints answer in the spec's shapes, errors included (`{"type", "code", "message",
"param"}`), not Parley's usual `{"error": {...}}`. The views are transport: headers
(auth, API-Version, signature, Idempotency-Key, Request-Id), JSON parsing, then one service.
"""

import json
import logging
import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from agentic.error_codes import AcpErrorCode
from agentic.exceptions import AcpError
from agentic.requests import text_checked
from agentic.selectors import acp_session_get
from agentic.services.auth import platform_authenticate, request_signature_verify
from agentic.services.idempotency import MAX_KEY_LENGTH, AcpResponse, idempotent_execute
from agentic.services.sessions import (
    acp_session_cancel,
    acp_session_complete_charge,
    acp_session_complete_record,
    acp_session_create,
    acp_session_update,
    acp_session_view,
)
from core.unavailable import DETAIL, RETRY_AFTER_SECONDS, service_unavailable, unavailable_logged

logger = logging.getLogger(__name__)
_HEADER_VALUE = re.compile(r"^[\x20-\x7e]{1,255}$")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _json(raw: bytes, *, exact: bool):
    return json.loads(
        raw, parse_constant=_reject_constant, **({"parse_float": Decimal, "parse_int": Decimal} if exact else {})
    )


def _respond(response: AcpResponse, *, request, idempotency_key: str | None = None) -> JsonResponse:
    out = JsonResponse(response.body, status=response.status, json_dumps_params={"ensure_ascii": False})
    for name, value in (response.headers or {}).items():
        out[name] = value
    if response.replayed:
        out["Idempotent-Replayed"] = "true"
    if idempotency_key is not None:
        out["Idempotency-Key"] = idempotency_key
    request_id = request.headers.get("Request-Id", "")
    if request_id and _HEADER_VALUE.match(request_id):
        out["Request-Id"] = request_id
    out["Cache-Control"] = "no-store"
    return out


def _error(exc: AcpError, *, request, idempotency_key: str | None = None, extra: dict | None = None) -> JsonResponse:
    body = exc.body()
    if extra:
        body.update(extra)
    return _respond(
        AcpResponse(status=exc.status, body=body, headers=exc.headers), request=request, idempotency_key=idempotency_key
    )


@method_decorator(csrf_exempt, name="dispatch")
class AcpApi(View):
    """Common to every ACP endpoint: the RFC's headers, then `handle`."""

    def dispatch(self, request, *args, **kwargs):
        # RFC §3.1: every POST response echoes the Idempotency-Key, refusals before the idempotency
        # step (method, auth, API-Version, signature) included. A key that is not a printable
        # header value of at most 255 characters is not echoed (it is refused below).
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        if key is not None and not _HEADER_VALUE.match(key):
            key = None
        try:
            if request.method.lower() not in self.allowed_methods():
                raise AcpError(
                    f"{request.method} is not allowed here.",
                    code=AcpErrorCode.METHOD_NOT_ALLOWED,
                    status=405,
                    headers={"Allow": ", ".join(m.upper() for m in self.allowed_methods())},
                )
            platform = platform_authenticate(authorization=request.headers.get("Authorization", ""))
            version = request.headers.get("API-Version", "").strip()
            if version not in settings.ACP_API_VERSIONS:
                code = AcpErrorCode.UNSUPPORTED_API_VERSION if version else AcpErrorCode.MISSING_API_VERSION
                message = (
                    f"API-Version {version!r} is not supported." if version else "The API-Version header is required."
                )
                # No `param`: it is a JSONPath into the body (RFC 9535), and a header has none.
                return _error(
                    AcpError(message, code=code),
                    request=request,
                    idempotency_key=key,
                    extra={"supported_versions": list(settings.ACP_API_VERSIONS)},
                )
            try:
                raw = request.body
            except RequestDataTooBig:
                raise AcpError(
                    "The request body is too large.", code=AcpErrorCode.REQUEST_TOO_LARGE, status=413
                ) from None
            request_signature_verify(
                platform=platform,
                body=raw if request.method == "POST" else b"",
                signature=request.headers.get("Signature", ""),
                timestamp=request.headers.get("Timestamp", ""),
            )
            if request.method == "GET":
                return _respond(self.handle_get(request, platform=platform, **kwargs), request=request)
            key = request.headers.get("Idempotency-Key")
            if key is None or not key.strip():
                key = None
                raise AcpError(
                    "Idempotency-Key header is required on all POST requests",
                    code=AcpErrorCode.IDEMPOTENCY_KEY_REQUIRED,
                )
            if len(key) > MAX_KEY_LENGTH:
                bad, key = key, None
                raise AcpError(
                    f"Idempotency-Key is at most {MAX_KEY_LENGTH} characters (got {len(bad)}).",
                    code=AcpErrorCode.IDEMPOTENCY_KEY_INVALID,
                )
            content_type = request.content_type or ""
            if raw and content_type and content_type != "application/json":
                raise AcpError(
                    "Send the body as application/json.", code=AcpErrorCode.UNSUPPORTED_MEDIA_TYPE, status=415
                )
            body, exact = self._parse(raw)
            response = idempotent_execute(
                platform=platform,
                key=key,
                path=request.path.rstrip("/"),
                body=exact,
                operation=self._operation(platform=platform, body=body, **kwargs),
                prepare=self._prepare(platform=platform, body=body, **kwargs),
            )
            return _respond(response, request=request, idempotency_key=key)
        except AcpError as exc:
            return _error(exc, request=request, idempotency_key=key)
        except Exception as exc:
            if service_unavailable(exc):
                unavailable_logged(exc, f"ACP {request.method} {request.path}")
                unavailable = AcpError(
                    DETAIL,
                    code=AcpErrorCode.SERVICE_UNAVAILABLE,
                    type="service_unavailable",
                    status=503,
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
                return _error(unavailable, request=request, idempotency_key=key)
            logger.exception("ACP %s %s failed", request.method, request.path)
            return _error(
                AcpError(
                    "Something went wrong on our side; nothing was changed. Retry.",
                    code=AcpErrorCode.INTERNAL_ERROR,
                    type="processing_error",
                    status=500,
                ),
                request=request,
                idempotency_key=key,
            )

    def _parse(self, raw: bytes):
        if not raw.strip():
            if self.body_required:
                raise AcpError("A JSON body is required.", code=AcpErrorCode.MISSING, param="$")
            return {}, {}
        try:
            body, exact = _json(raw, exact=False), _json(raw, exact=True)
        except (ValueError, RecursionError):
            raise AcpError("The body is not valid JSON.", code=AcpErrorCode.INVALID_JSON) from None
        if not isinstance(body, dict):
            raise AcpError("The body must be a JSON object.", code=AcpErrorCode.INVALID, param="$")
        text_checked(body)
        return body, exact

    body_required = True

    def allowed_methods(self) -> list[str]:
        return [m for m in ("get", "post") if hasattr(self, f"handle_{m}")]

    def handle_post(self, **kwargs):  # pragma: no cover - overridden
        raise NotImplementedError

    def _operation(self, *, platform, body, **kwargs):
        return lambda: self.handle_post(platform=platform, body=body, **kwargs)

    def _prepare(self, *, platform, body, **kwargs):
        return None  # everything runs in the idempotency record's transaction


class AcpSessionCreateApi(AcpApi):
    def handle_post(self, *, platform, body):
        return acp_session_create(platform=platform, body=body)


class AcpSessionApi(AcpApi):
    """GET: retrieve; POST: update."""

    def handle_get(self, request, *, platform, session_id):
        session = acp_session_get(platform=platform, session_id=session_id)
        if session is None:
            raise AcpError("No such checkout session.", code=AcpErrorCode.NOT_FOUND, status=404)
        with transaction.atomic():  # a discount code is read under its row lock, as when paying
            return AcpResponse(status=200, body=acp_session_view(session=session))

    def handle_post(self, *, platform, body, session_id):
        return acp_session_update(platform=platform, session_id=session_id, body=body)


class AcpSessionCompleteApi(AcpApi):
    """The charge runs before the idempotency record's transaction (no lock across the provider
    call); its answer is recorded in it."""

    def _prepare(self, *, platform, body, session_id):
        return lambda: acp_session_complete_charge(platform=platform, session_id=session_id, body=body)

    def _operation(self, *, platform, body, session_id):
        return lambda charged: acp_session_complete_record(platform=platform, charged=charged)


class AcpSessionCancelApi(AcpApi):
    body_required = False

    def handle_post(self, *, platform, body, session_id):
        return acp_session_cancel(platform=platform, session_id=session_id, body=body)
