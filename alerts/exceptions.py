"""The alerts app's refusals: each with a stable code the chat and API clients can act on."""

from core.exceptions import ApplicationError, RateLimited


class AlertError(ApplicationError):
    code = "alert_invalid"


class ContactInvalid(AlertError):
    code = "contact_invalid"


class AlertRateLimited(RateLimited):
    code = "rate_limited"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None):
        super().__init__(detail, code=code)
        self.retry_after = retry_after


class AlertTokenInvalid(AlertError):
    code = "token_invalid"
    status_code = 400
