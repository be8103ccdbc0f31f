"""Idempotency-Key handling for ACP POSTs, exactly per RFC §6.

- Keys are scoped to the platform (authenticated identity) + the endpoint path.
- Equivalence: semantic JSON equality of the body (key order ignored, `1.0` = `1`, `null` ≠
  absent, arrays ordered): a SHA-256 over a canonical form (sorted keys, numbers
  normalised), in the spirit of RFC 8785.
- Same key + same body: the stored response, same status, `Idempotent-Replayed: true`.
  Same key + another body: 422 `idempotency_conflict`. Still running: 409
  `idempotency_in_flight` with `Retry-After`.
- The response is stored in the transaction that makes the business change (no ghost or
  lost keys); a 5xx is never stored, its key is released so a retry runs afresh. A request
  that died mid-way leaves an in-flight claim that may be taken over after
  `ACP_IDEMPOTENCY_LOCK_SECONDS`.
- Records are kept `ACP_IDEMPOTENCY_RETENTION_HOURS` (≥ 24 h); an older key is a new request.
"""

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agentic.error_codes import AcpErrorCode
from agentic.exceptions import AcpError
from agentic.models import AgentPlatform, IdempotencyRecord

MAX_KEY_LENGTH = 255


@dataclass
class AcpResponse:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)
    replayed: bool = False
    transient: bool = False  # not stored as the key's answer (see AcpError.transient)


def _canonical(value):
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | Decimal | float):
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        if number.is_finite() and number == number.to_integral_value():
            return int(number)
        return format(number.normalize(), "f") if number.is_finite() else str(number)
    return value


def request_fingerprint(body) -> str:
    """SHA-256 of the canonical JSON of a parsed body (parse with `parse_float=Decimal`)."""
    canonical = json.dumps(_canonical(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _retention_cutoff():
    return timezone.now() - timedelta(hours=settings.ACP_IDEMPOTENCY_RETENTION_HOURS)


def _in_flight_error(record: IdempotencyRecord) -> AcpError:
    seconds = 1
    if record.locked_until:
        seconds = max(1, min(math.ceil((record.locked_until - timezone.now()).total_seconds()), 5))
    return AcpError(
        "A request with this Idempotency-Key is currently being processed",
        code=AcpErrorCode.IDEMPOTENCY_IN_FLIGHT,
        status=409,
        headers={"Retry-After": str(seconds)},
    )


def _claim(*, platform: AgentPlatform, key: str, path: str, fingerprint: str) -> AcpResponse | IdempotencyRecord:
    """Take the key (committed at once, so a concurrent request sees it), or answer from what is stored."""
    now = timezone.now()
    lock = now + timedelta(seconds=settings.ACP_IDEMPOTENCY_LOCK_SECONDS)
    for _ in range(2):
        try:
            with transaction.atomic():
                record = (
                    IdempotencyRecord.objects.select_for_update().filter(platform=platform, path=path, key=key).first()
                )
                if record is not None and record.created_at < _retention_cutoff():
                    record.delete()  # expired: the key is new again (RFC §6.6)
                    record = None
                if record is None:
                    return IdempotencyRecord.objects.create(
                        platform=platform, key=key, path=path, request_hash=fingerprint, locked_until=lock
                    )
                if record.request_hash != fingerprint:
                    raise AcpError(
                        "Idempotency-Key has already been used with a different request body",
                        code=AcpErrorCode.IDEMPOTENCY_CONFLICT,
                        status=422,
                    )
                if not record.in_flight:
                    return AcpResponse(
                        status=record.response_status,
                        body=record.response_body,
                        headers=dict(record.response_headers or {}),
                        replayed=True,
                    )
                if record.locked_until and record.locked_until > now:
                    raise _in_flight_error(record)
                record.locked_until = lock  # its first request died: take it over
                record.save(update_fields=["locked_until"])
                return record
        except IntegrityError:
            continue  # another request created it between our read and insert: read it again
    raise AcpError(
        "A request with this Idempotency-Key is currently being processed",
        code=AcpErrorCode.IDEMPOTENCY_IN_FLIGHT,
        status=409,
        headers={"Retry-After": "1"},
    )


def _release(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk, in_flight=True).delete()


def idempotent_execute(
    *,
    platform: AgentPlatform,
    key: str,
    path: str,
    body,
    operation: Callable[..., AcpResponse],
    prepare: Callable[[], object] | None = None,
) -> AcpResponse:
    """Run `operation` at most once per (platform, path, key), storing its answer in its transaction.

    `operation` runs inside a transaction; it returns an `AcpResponse` (its writes kept) or
    raises `AcpError` (its writes rolled back, the refusal stored when 4xx and not transient).
    Anything else, any 5xx and a transient refusal roll back and release the key.

    `prepare`, when given, runs first with the key held but no transaction open: what must not
    happen inside one (a call to a payment provider), committing its own writes as it goes.
    Its result is `operation`'s argument; an `AcpError` it raises is the answer, as above.
    """
    record = _claim(platform=platform, key=key, path=path, fingerprint=request_fingerprint(body))
    if isinstance(record, AcpResponse):
        return record
    try:
        refused = None
        if prepare is not None:
            try:
                prepared = prepare()
            except AcpError as exc:
                refused = _refusal(exc)
        with transaction.atomic():
            if refused is not None:
                response = refused
            else:
                try:
                    with transaction.atomic():
                        response = operation(prepared) if prepare is not None else operation()
                except AcpError as exc:
                    response = _refusal(exc)
            if response.status >= 500 or response.transient:
                raise _Uncached(response)
            updated = IdempotencyRecord.objects.filter(pk=record.pk, in_flight=True).update(
                in_flight=False,
                locked_until=None,
                response_status=response.status,
                response_body=response.body,
                response_headers=response.headers,
            )
            if not updated:
                raise _TakenOver()  # we ran past the lock and another request took the key: it answers for it
    except _TakenOver:
        return AcpResponse(
            status=409,
            body=_in_flight_error(record).body(),
            headers={"Retry-After": "1"},
        )
    except _Uncached as exc:
        _release(record)
        return exc.response
    except BaseException:
        _release(record)
        raise
    return response


def _refusal(exc: AcpError) -> AcpResponse:
    return AcpResponse(status=exc.status, body=exc.body(), headers=dict(exc.headers), transient=exc.transient)


class _TakenOver(Exception):
    pass


class _Uncached(Exception):
    def __init__(self, response: AcpResponse):
        super().__init__(response.status)
        self.response = response


def idempotency_records_purge() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=_retention_cutoff()).delete()
    return deleted
