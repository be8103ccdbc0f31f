from actions.error_codes import ActionErrorCode
from core.exceptions import ApplicationError


class ActionError(ApplicationError):
    code = ActionErrorCode.ACTION_ERROR


class ActionNotAllowed(ActionError):
    code = ActionErrorCode.ACTION_NOT_ALLOWED
    status_code = 409


class ActionPayloadInvalid(ActionError):
    code = ActionErrorCode.ACTION_PAYLOAD_INVALID
    status_code = 400


class ActionAlreadyDecided(ActionError):
    code = ActionErrorCode.ACTION_ALREADY_DECIDED
    status_code = 409


class OperatorRequired(ActionError):
    code = ActionErrorCode.OPERATOR_REQUIRED
    status_code = 403
