from analytics.error_codes import AnalyticsErrorCode
from core.exceptions import ApplicationError, RateLimited


class AnalyticsError(ApplicationError):
    code = AnalyticsErrorCode.ANALYTICS_ERROR


class BatchInvalid(AnalyticsError):
    code = AnalyticsErrorCode.INVALID_BATCH


class IngestRateLimited(RateLimited):
    """Too many requests or events from one client in the current minute (Retry-After: `retry_after`)."""
