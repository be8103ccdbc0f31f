from core.exceptions import ApplicationError


class ActionError(ApplicationError):
    code = "action_error"


class ActionNotAllowed(ActionError):
    code = "action_not_allowed"
    status_code = 409


class ActionPayloadInvalid(ActionError):
    code = "action_payload_invalid"
    status_code = 400


class ActionAlreadyDecided(ActionError):
    code = "action_already_decided"
    status_code = 409


class OperatorRequired(ActionError):
    code = "operator_required"
    status_code = 403
