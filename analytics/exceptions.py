from core.exceptions import ApplicationError, RateLimited


class AnalyticsError(ApplicationError):
    code = "analytics_error"


class BatchInvalid(AnalyticsError):
    code = "invalid_batch"


class IngestRateLimited(RateLimited):
    """Too many requests or events from one client in the current minute."""

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after
