"""Analytics reads: events of a conversation, and the dashboard's aggregates."""

from analytics.selectors.dashboard import Period, dashboard_get, funnel_get
from analytics.selectors.events import events_for_conversation

__all__ = ["Period", "dashboard_get", "events_for_conversation", "funnel_get"]
