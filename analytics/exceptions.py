from analytics.error_codes import AnalyticsErrorCode
from core.exceptions import ApplicationError, RateLimited


class AnalyticsError(ApplicationError):
    code = AnalyticsErrorCode.ANALYTICS_ERROR


class BatchInvalid(AnalyticsError):
    code = AnalyticsErrorCode.INVALID_BATCH


class IngestRateLimited(RateLimited):
    """Too many requests or events from one client in the current minute (Retry-After: `retry_after`)."""


class ExperimentInvalid(AnalyticsError):
    """A request about an experiment that cannot be done (bad visitor id, wrong state)."""

    code = AnalyticsErrorCode.EXPERIMENT_STATE


class ExperimentNotFound(AnalyticsError):
    code = AnalyticsErrorCode.EXPERIMENT_NOT_FOUND
    status_code = 404


class ShopWebhookRefused(AnalyticsError):
    """The shop platform's order webhook: unsigned, badly signed, or not configured."""

    code = AnalyticsErrorCode.INVALID_SIGNATURE
    status_code = 401
