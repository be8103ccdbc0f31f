"""The alerts app's refusals: each with a stable code the chat and API clients can act on."""

from core.exceptions import ApplicationError


class AlertError(ApplicationError):
    code = "alert_invalid"


class ContactInvalid(AlertError):
    code = "contact_invalid"


class AlertTokenInvalid(AlertError):
    code = "token_invalid"
    status_code = 400
