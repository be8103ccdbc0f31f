"""Telemetry writes.

Server-side events (`event_record`) are written after the causing transaction commits (or at
its end, `events_write_now`) and can never break it. Client events arrive in batches
(`events_ingest`): each is checked on its own, the good ones are inserted with one
`INSERT … ON CONFLICT (event_id) DO NOTHING` (so a replayed batch is not counted twice), and the
bad ones come back with a reason.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics import constants
from analytics.enums import EventName, EventSource
from analytics.error_codes import AnalyticsErrorCode
from analytics.exceptions import BatchInvalid
from analytics.models import Event
from core.authentication import conversation_ids_authorized

logger = logging.getLogger(__name__)


def _write(fields: dict[str, Any]) -> None:
    try:
        if connection.in_atomic_block:
            with transaction.atomic():  # a savepoint: a failure leaves the caller's transaction usable
                Event.objects.create(**fields)
        else:
            Event.objects.create(**fields)  # one statement is its own transaction (no BEGIN, COMMIT)
    except Exception:
        logger.exception("telemetry event %s was not recorded", fields.get("name"))


class _Pending:
    """The events recorded in one transaction (at one savepoint level), written with one INSERT
    when it commits: a reply records several, and a write each was a transaction each."""

    def __init__(self, savepoint_ids: list[str]):
        self.savepoint_ids = savepoint_ids
        self.rows: list[dict[str, Any]] = []
        self.written = False

    def __call__(self) -> None:
        if self.written:  # written early in its transaction (events_write_now)
            return
        self.written = True
        if len(self.rows) == 1:
            _write(self.rows[0])
            return
        try:
            with transaction.atomic():
                Event.objects.bulk_create([Event(**fields) for fields in self.rows])
        except Exception:  # one bad row (a taken event_id): write them one by one, losing only it
            for fields in self.rows:
                _write(fields)


def _pending_for_commit() -> _Pending:
    """The batch this transaction's next event joins: the latest one, while its on-commit hook is
    still queued at the same savepoint (so a rolled-back savepoint takes its own events with it,
    and events are written in the order they were recorded); else a new one."""
    sids = [sid for sid in connection.savepoint_ids if sid]  # None: an atomic block without a savepoint
    pending = getattr(connection, "_telemetry_pending", None)
    if (
        pending is None
        or pending.written
        or pending.savepoint_ids != sids
        or not any(hook is pending for _, hook, _ in connection.run_on_commit)
    ):
        pending = _Pending(sids)
        connection._telemetry_pending = pending
        transaction.on_commit(pending)
    return pending


def events_write_now() -> None:
    """Write the events recorded so far in the current transaction now, inside it, instead of once
    it commits: for a caller whose transaction is about to commit, so that commit carries them (on
    SQLite each transaction after it is another write of the log, and a reply had two). In a
    savepoint, as at commit: a failure is logged and leaves the caller's transaction usable. A
    rolled-back transaction takes them with it, as it took them before they were written."""
    pending = getattr(connection, "_telemetry_pending", None)
    if (
        connection.in_atomic_block
        and pending is not None
        and not pending.written
        # Recorded at this savepoint level: written inside a savepoint of its own that could
        # still roll back, an outer level's events would go with it.
        and pending.savepoint_ids == [sid for sid in connection.savepoint_ids if sid]
        and any(hook is pending for _, hook, _ in connection.run_on_commit)
    ):
        pending()


def event_record(
    *,
    name: EventName | str,
    conversation_id: str = "",
    action_type: str = "",
    ps_number: str = "",
    model_number: str = "",
    intent: str = "",
    properties: dict | None = None,
    event_id: str | None = None,
) -> None:
    """Record a server-side event once the current transaction commits; failures are only logged."""
    try:
        fields = {
            "event_id": event_id or f"srv_{uuid.uuid4().hex}",
            "name": str(name),
            "source": EventSource.SERVER,
            "occurred_at": timezone.now(),
            "conversation_id": conversation_id or "",
            "action_type": (action_type or "")[:64],
            "ps_number": (ps_number or "")[:32],
            "model_number": (model_number or "")[:64],
            "intent": (intent or "")[:40],
            "properties": properties or {},
        }
        if connection.in_atomic_block:
            _pending_for_commit().rows.append(fields)
        else:
            _write(fields)  # no transaction: what caused it is already written
    except Exception:  # telemetry must never break the request that caused it
        logger.exception("telemetry event %s was not scheduled", name)


@dataclass(frozen=True)
class ServerEvent:
    """One server-side event for `events_record_many`; `event_id` is its idempotency key."""

    event_id: str
    name: EventName | str
    occurred_at: datetime
    conversation_id: str = ""
    ps_number: str = ""
    properties: dict = field(default_factory=dict)
    visitor_id: str = ""
    value: Decimal | None = None


def events_record_many(*, events: list[ServerEvent]) -> None:
    """Record many server-side events now, one INSERT per 1,000; an `event_id` already there is
    skipped, so a re-run adds nothing. For batch workers (thousands of alert notices), where a
    row per `event_record` would dominate. Failures are only logged: telemetry never breaks the work."""
    if not events:
        return
    try:
        Event.objects.bulk_create(
            [
                Event(
                    event_id=event.event_id,
                    name=str(event.name),
                    source=EventSource.SERVER,
                    occurred_at=event.occurred_at,
                    conversation_id=event.conversation_id or "",
                    action_type="",
                    ps_number=(event.ps_number or "")[:32],
                    properties=event.properties,
                    visitor_id=event.visitor_id,
                    value=event.value,
                )
                for event in events
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
    except Exception:
        logger.exception("%s server events were not recorded", len(events))


# --- client batches ---------------------------------------------------------------------

_EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:~-]{0,63}")
_DIMENSIONS = {
    # field: (column, pattern, max length)
    "action_type": ("action_type", re.compile(r"[a-z][a-z0-9_]{0,63}")),
    "ps_number": ("ps_number", re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,31}")),
    "model_number": ("model_number", re.compile(r"[A-Za-z0-9][A-Za-z0-9./-]{0,63}")),
    "intent": ("intent", re.compile(r"[a-z][a-z0-9_]{0,39}")),
    "action_id": ("action_id", re.compile(r"[A-Za-z0-9_]{1,40}")),
}
_ALIASES = {
    "psNumber": "ps_number",
    "modelNumber": "model_number",
    "actionType": "action_type",
    "actionId": "action_id",
    "eventId": "event_id",
    "occurredAt": "occurred_at",
    "conversationId": "conversation_id",
    "visitorId": "visitor_id",
    "orderId": "order_id",
}
_DIMENSION_KEYS = frozenset(_DIMENSIONS)
_VISITOR_FIELDS = frozenset({"visitor_id", "order_id", "value", "currency"})
_KNOWN = frozenset({"event_id", "name", "occurred_at", "conversation_id", "properties", *_DIMENSIONS, *_VISITOR_FIELDS})
_NAMES = {str(n) for n in EventName}
_VISITOR_NAMES = {str(n) for n in constants.VISITOR_EVENT_NAMES}
_CLIENT_NAMES = {str(n) for n in constants.CLIENT_EVENT_NAMES} | _VISITOR_NAMES
_VISITOR_ID = re.compile(constants.VISITOR_ID_PATTERN)
_ORDER_ID = re.compile(constants.ORDER_ID_PATTERN)


@dataclass
class Rejection:
    index: int
    event_id: str | None
    code: str
    detail: str


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)


class _Reject(Exception):
    def __init__(self, code: str, detail: str):
        self.code = code
        self.detail = detail


def _clean(raw: Any, now: datetime, oldest: datetime, newest: datetime) -> dict:
    """One client event → the row to insert, or _Reject with a stable code."""
    if type(raw) is not dict:
        raise _Reject(AnalyticsErrorCode.INVALID_EVENT, "Each event must be a JSON object.")
    event = raw
    if not raw.keys() <= _KNOWN:  # aliases (psNumber, …) or unknown fields
        event = {_ALIASES.get(key, key): value for key, value in raw.items()}
        unknown = event.keys() - _KNOWN
        if unknown:
            raise _Reject(
                AnalyticsErrorCode.UNKNOWN_FIELD, f"Unknown field(s): {', '.join(sorted(map(str, unknown)))[:200]}."
            )
    event_id = event.get("event_id")
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
        raise _Reject(
            AnalyticsErrorCode.INVALID_EVENT_ID, "event_id must be 1-64 characters: letters, digits and . _ : ~ -"
        )
    name = event.get("name")
    if not isinstance(name, str) or name not in _NAMES:
        raise _Reject(AnalyticsErrorCode.UNKNOWN_NAME, "name is not a known event name.")
    if name not in _CLIENT_NAMES:
        raise _Reject(
            "server_only_name",
            f"{name} is recorded by the server; clients may send {', '.join(sorted(_CLIENT_NAMES))}.",
        )
    occurred = event.get("occurred_at")
    if not isinstance(occurred, str) or len(occurred) > 40:
        raise _Reject(
            AnalyticsErrorCode.INVALID_OCCURRED_AT, "occurred_at must be an ISO 8601 date-time with a time zone."
        )
    try:
        occurred_at = datetime.fromisoformat(occurred)
    except ValueError:
        raise _Reject(
            AnalyticsErrorCode.INVALID_OCCURRED_AT, "occurred_at must be an ISO 8601 date-time with a time zone."
        ) from None
    if occurred_at.tzinfo is None:
        raise _Reject(
            AnalyticsErrorCode.INVALID_OCCURRED_AT, "occurred_at needs a time zone (e.g. 2026-01-31T12:00:00Z)."
        )
    if occurred_at > newest:
        raise _Reject(
            AnalyticsErrorCode.OCCURRED_IN_FUTURE, "occurred_at is too far in the future; check the device clock."
        )
    if occurred_at < oldest:
        raise _Reject(AnalyticsErrorCode.TOO_OLD, "occurred_at is older than events are accepted for.")
    visitor_id = event.get("visitor_id")
    if visitor_id is not None and (type(visitor_id) is not str or not _VISITOR_ID.fullmatch(visitor_id)):
        raise _Reject(AnalyticsErrorCode.INVALID_VISITOR_ID, "visitor_id must be 8-48 letters, digits, _ or -.")
    if name in _VISITOR_NAMES:
        return _clean_visitor_event(event, name, event_id, occurred_at.astimezone(UTC), visitor_id)
    if event.keys() & (_VISITOR_FIELDS - {"visitor_id"}):
        raise _Reject(AnalyticsErrorCode.UNKNOWN_FIELD, "order_id, value and currency belong to order_completed.")
    conversation_id = event.get("conversation_id")
    if not conversation_id:
        raise _Reject(AnalyticsErrorCode.CONVERSATION_REQUIRED, "conversation_id is required.")
    if not isinstance(conversation_id, str) or len(conversation_id) > 32:
        raise _Reject(AnalyticsErrorCode.CONVERSATION_FORBIDDEN, "This conversation needs its own token.")
    row = {
        "event_id": f"{conversation_id}:{event_id}",
        "name": name,
        "occurred_at": occurred_at.astimezone(UTC),
        "conversation_id": conversation_id,
        "action_type": "",
        "ps_number": "",
        "model_number": "",
        "intent": "",
        "visitor_id": visitor_id or "",
        "value": None,
    }
    properties = event.get("properties")
    if properties is not None and type(properties) is not dict:
        raise _Reject(AnalyticsErrorCode.INVALID_PROPERTIES, "properties must be a JSON object.")
    action_id = None
    for key in event.keys() & _DIMENSION_KEYS:
        value = event[key]
        if value is None or value == "":
            continue
        if type(value) is not str or not _DIMENSIONS[key][1].fullmatch(value):
            raise _Reject(AnalyticsErrorCode.INVALID_DIMENSION, f"{key} is not valid.")
        if key == "action_id":
            action_id = value
        else:
            row[key] = value
    if name == EventName.ACTION_CLICKED and not row["action_type"]:
        raise _Reject(AnalyticsErrorCode.INVALID_DIMENSION, "action_clicked needs action_type.")
    if properties:
        if action_id:
            properties = {**properties, "action_id": action_id}
        encoded = json.dumps(properties, separators=(",", ":"), ensure_ascii=False)
        if len(encoded.encode()) > constants.MAX_PROPERTIES_BYTES:
            raise _Reject(
                AnalyticsErrorCode.INVALID_PROPERTIES,
                f"properties must be at most {constants.MAX_PROPERTIES_BYTES} bytes.",
            )
    elif action_id:  # the common case, without json.dumps: action ids are [A-Za-z0-9_]
        encoded = f'{{"action_id":"{action_id}"}}'
    else:
        encoded = "{}"
    row["properties"] = encoded
    return row


def _order_value(raw: Any) -> Decimal:
    if type(raw) not in (str, int, float) or (type(raw) is str and len(raw) > 20):
        raise _Reject(AnalyticsErrorCode.INVALID_ORDER, "value must be the order's amount, e.g. 49.90.")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise _Reject(AnalyticsErrorCode.INVALID_ORDER, "value must be the order's amount, e.g. 49.90.") from None
    if not value.is_finite() or value < 0 or value >= constants.MAX_ORDER_VALUE or value != round(value, 2):
        raise _Reject(AnalyticsErrorCode.INVALID_ORDER, "value must be a non-negative amount with at most 2 decimals.")
    return value


def _clean_visitor_event(event: dict, name: str, event_id: str, occurred_at: datetime, visitor_id: Any) -> dict:
    """A shop-side event: keyed by the visitor (no conversation, no token); an order by its id."""
    if not visitor_id:
        raise _Reject(AnalyticsErrorCode.VISITOR_REQUIRED, f"{name} needs the visitor_id.")
    if event.get("conversation_id"):
        raise _Reject(AnalyticsErrorCode.UNKNOWN_FIELD, f"{name} is about a visitor, not a conversation.")
    row = {
        "event_id": f"v:{visitor_id}:{event_id}",
        "name": name,
        "occurred_at": occurred_at,
        "conversation_id": "",
        "action_type": "",
        "ps_number": "",
        "model_number": "",
        "intent": "",
        "visitor_id": visitor_id,
        "value": None,
    }
    ps_number = event.get("ps_number")
    if ps_number not in (None, ""):
        if type(ps_number) is not str or not _DIMENSIONS["ps_number"][1].fullmatch(ps_number):
            raise _Reject(AnalyticsErrorCode.INVALID_DIMENSION, "ps_number is not valid.")
        row["ps_number"] = ps_number
    if event.get("properties") is not None:
        raise _Reject(AnalyticsErrorCode.INVALID_PROPERTIES, f"{name} takes no properties.")
    if name != EventName.ORDER_COMPLETED:
        if event.keys() & {"order_id", "value", "currency"}:
            raise _Reject(AnalyticsErrorCode.UNKNOWN_FIELD, "order_id, value and currency belong to order_completed.")
        row["properties"] = "{}"
        return row
    order_id = event.get("order_id")
    if type(order_id) is not str or not _ORDER_ID.fullmatch(order_id):
        raise _Reject(
            AnalyticsErrorCode.INVALID_ORDER, "order_id must be 1-64 letters, digits, . _ - (the shop's order number)."
        )
    currency = event.get("currency") or settings.PARLEY_CURRENCY
    if currency != settings.PARLEY_CURRENCY:
        raise _Reject(
            AnalyticsErrorCode.CURRENCY_MISMATCH,
            f"Orders are counted in {settings.PARLEY_CURRENCY}, not {currency!s:.8}.",
        )
    row["event_id"] = f"order:{order_id}"  # the order counts once, whoever reports it
    row["value"] = _order_value(event.get("value"))
    row["properties"] = json.dumps({"order_id": order_id, "currency": currency, "source": "beacon"})
    return row


# The columns a raw insert of events writes, in order (also used by the synthetic generator).
EVENT_COLUMNS = (
    "event_id",
    "name",
    "source",
    "occurred_at",
    "received_at",
    "conversation_id",
    "action_type",
    "ps_number",
    "model_number",
    "intent",
    "properties",
)
# Ingest also writes the visitor columns (the synthetic generator leaves them to their defaults).
_INGEST_COLUMNS = (*EVENT_COLUMNS, "visitor_id", "value")


def _insert_ignoring_duplicates(rows: list[dict], received_at: datetime) -> int:
    """Insert rows, skipping event_ids already stored; returns how many were inserted."""
    if not rows:
        return 0
    table = connection.ops.quote_name(Event._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _INGEST_COLUMNS)
    source = str(EventSource.CLIENT)
    if connection.vendor == "postgresql":
        # One statement whatever the batch size: arrays in, unnest, conflicts skipped. It goes
        # through a server-side-binding psycopg cursor so the arrays travel in binary (%b): Django's
        # client-side quoting of 5,000 array elements costs more than the insert itself.
        arrays = [[row[c] for row in rows] for c in ("event_id", "name", "occurred_at", "conversation_id")]
        arrays += [[row[c] for row in rows] for c in ("action_type", "ps_number", "model_number", "intent")]
        arrays.append([row["properties"] for row in rows])
        arrays.append([row["visitor_id"] for row in rows])
        arrays.append([row["value"] for row in rows])
        import psycopg

        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 (identifiers from _meta, values are parameters)
                "SELECT e, n, %b, o, %b, c, a, p, m, i, pr::jsonb, v, val FROM unnest("
                "%b::varchar[], %b::varchar[], %b::timestamptz[], %b::varchar[], "
                "%b::varchar[], %b::varchar[], %b::varchar[], %b::varchar[], %b::text[], %b::varchar[], %b::numeric[]) "
                "AS t(e, n, o, c, a, p, m, i, pr, v, val) "
                "ON CONFLICT (event_id) DO NOTHING",
                [source, received_at, *arrays],
            )
            return cursor.rowcount
    with connection.cursor() as cursor:
        adapt = connection.ops.adapt_datetimefield_value
        received = adapt(received_at)
        params = [
            (
                row["event_id"],
                row["name"],
                source,
                adapt(row["occurred_at"]),
                received,
                row["conversation_id"],
                row["action_type"],
                row["ps_number"],
                row["model_number"],
                row["intent"],
                row["properties"],
                row["visitor_id"],
                connection.ops.adapt_decimalfield_value(row["value"], 12, 2),
            )
            for row in rows
        ]
        placeholders = ", ".join(["%s"] * len(_INGEST_COLUMNS))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT (event_id) DO NOTHING",  # noqa: S608
            params,
        )
        return cursor.rowcount


def events_ingest(*, events: Any, token: str | None) -> IngestResult:
    """Check each client event, keep the good ones once, say why the others were refused.

    An event must name a conversation, and the bearer token must be that conversation's: so a
    customer can only add to their own funnel. Stored event ids are `<conversation>:<client id>`,
    so two clients that number their events alike do not collide. The shop's beacon events
    (product_viewed, cart_added, order_completed) name a visitor instead and need no token:
    `v:<visitor>:<client id>`, or `order:<order id>` for an order, so it counts once.
    """
    if not isinstance(events, list):
        raise BatchInvalid("events must be a list of event objects.", code=AnalyticsErrorCode.INVALID_BATCH)
    if len(events) > constants.MAX_BATCH:
        raise BatchInvalid(
            f"A batch holds at most {constants.MAX_BATCH} events; this one has {len(events)}.",
            code=AnalyticsErrorCode.BATCH_TOO_LARGE,
        )
    now = timezone.now()
    oldest, newest = now - constants.max_age(), now + constants.future_skew()
    result = IngestResult()
    cleaned: list[tuple[int, str, dict]] = []
    for index, raw in enumerate(events):
        try:
            row = _clean(raw, now, oldest, newest)
            cleaned.append((index, raw.get("event_id", raw.get("eventId")), row))
        except _Reject as exc:
            event_id = raw.get("event_id", raw.get("eventId")) if isinstance(raw, dict) else None
            result.rejected.append(
                Rejection(index, event_id if isinstance(event_id, str) else None, exc.code, exc.detail)
            )

    allowed = conversation_ids_authorized(
        {row["conversation_id"] for _, _, row in cleaned if row["conversation_id"]}, token
    )
    rows: list[dict] = []
    seen: set[str] = set()
    for index, client_id, row in cleaned:
        if row["conversation_id"] and row["conversation_id"] not in allowed:
            result.rejected.append(
                Rejection(
                    index,
                    client_id,
                    AnalyticsErrorCode.CONVERSATION_FORBIDDEN,
                    "This conversation needs its own token.",
                )
            )
        elif row["event_id"] in seen:
            result.duplicates += 1
        else:
            seen.add(row["event_id"])
            rows.append(row)
    result.rejected.sort(key=lambda r: r.index)
    inserted = _insert_ignoring_duplicates(rows, now)
    result.accepted = inserted
    result.duplicates += len(rows) - inserted
    return result
