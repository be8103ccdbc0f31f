"""Telemetry writes.

Server-side events (`event_record`) are written after the causing transaction commits and can
never break it. Client events arrive in batches (`events_ingest`): each is checked on its own,
the good ones are inserted with one `INSERT … ON CONFLICT (event_id) DO NOTHING` (so a replayed
batch is not counted twice), and the bad ones come back with a reason.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
        with transaction.atomic():  # a savepoint if some caller is still in a transaction
            Event.objects.create(**fields)
    except Exception:
        logger.exception("telemetry event %s was not recorded", fields.get("name"))


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
        transaction.on_commit(lambda: _write(fields))
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
}
_DIMENSION_KEYS = frozenset(_DIMENSIONS)
_KNOWN = frozenset({"event_id", "name", "occurred_at", "conversation_id", "properties", *_DIMENSIONS})
_NAMES = {str(n) for n in EventName}
_CLIENT_NAMES = {str(n) for n in constants.CLIENT_EVENT_NAMES}


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


def _insert_ignoring_duplicates(rows: list[dict], received_at: datetime) -> int:
    """Insert rows, skipping event_ids already stored; returns how many were inserted."""
    if not rows:
        return 0
    table = connection.ops.quote_name(Event._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in EVENT_COLUMNS)
    source = str(EventSource.CLIENT)
    if connection.vendor == "postgresql":
        # One statement whatever the batch size: arrays in, unnest, conflicts skipped. It goes
        # through a server-side-binding psycopg cursor so the arrays travel in binary (%b): Django's
        # client-side quoting of 5,000 array elements costs more than the insert itself.
        arrays = [[row[c] for row in rows] for c in ("event_id", "name", "occurred_at", "conversation_id")]
        arrays += [[row[c] for row in rows] for c in ("action_type", "ps_number", "model_number", "intent")]
        arrays.append([row["properties"] for row in rows])
        import psycopg

        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 (identifiers from _meta, values are parameters)
                "SELECT e, n, %b, o, %b, c, a, p, m, i, pr::jsonb FROM unnest("
                "%b::varchar[], %b::varchar[], %b::timestamptz[], %b::varchar[], "
                "%b::varchar[], %b::varchar[], %b::varchar[], %b::varchar[], %b::text[]) AS t(e, n, o, c, a, p, m, i, pr) "
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
            )
            for row in rows
        ]
        placeholders = ", ".join(["%s"] * len(EVENT_COLUMNS))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT (event_id) DO NOTHING",  # noqa: S608
            params,
        )
        return cursor.rowcount


def events_ingest(*, events: Any, token: str | None) -> IngestResult:
    """Check each client event, keep the good ones once, say why the others were refused.

    An event must name a conversation, and the bearer token must be that conversation's: so a
    customer can only add to their own funnel. Stored event ids are `<conversation>:<client id>`,
    so two clients that number their events alike do not collide.
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
            cleaned.append((index, row["event_id"].split(":", 1)[1], row))
        except _Reject as exc:
            event_id = raw.get("event_id", raw.get("eventId")) if isinstance(raw, dict) else None
            result.rejected.append(
                Rejection(index, event_id if isinstance(event_id, str) else None, exc.code, exc.detail)
            )

    allowed = conversation_ids_authorized({row["conversation_id"] for _, _, row in cleaned}, token)
    rows: list[dict] = []
    seen: set[str] = set()
    for index, client_id, row in cleaned:
        if row["conversation_id"] not in allowed:
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
