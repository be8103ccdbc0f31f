"""Analytics writes: server-side telemetry, client batch ingest, rollups, synthetic traffic."""

from analytics.services.events import (
    ServerEvent,
    event_record,
    events_ingest,
    events_record_many,
    events_write_now,
)

__all__ = ["ServerEvent", "event_record", "events_ingest", "events_record_many", "events_write_now"]
