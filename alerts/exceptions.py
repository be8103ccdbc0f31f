"""The alerts app's refusals: each with a stable code the chat and API clients can act on."""

from alerts.error_codes import AlertErrorCode
from core.exceptions import ApplicationError


class AlertError(ApplicationError):
    code = AlertErrorCode.ALERT_INVALID


class ContactInvalid(AlertError):
    code = AlertErrorCode.CONTACT_INVALID


class AlertTokenInvalid(AlertError):
    code = AlertErrorCode.TOKEN_INVALID
    status_code = 400
