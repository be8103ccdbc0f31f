"""Analytics writes: server-side telemetry, client batch ingest, rollups, synthetic traffic."""

from analytics.services.events import event_record, events_ingest

__all__ = ["event_record", "events_ingest"]
