"""Analytics reads: events of a conversation, and the dashboard's aggregates."""

from analytics.selectors.dashboard import Period, dashboard_get, funnel_get
from analytics.selectors.events import event_ids_recorded, events_for_conversation

__all__ = ["Period", "dashboard_get", "event_ids_recorded", "events_for_conversation", "funnel_get"]
