from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import BasePermission

from actions.error_codes import ActionErrorCode
from actions.exceptions import OperatorRequired
from core.exceptions import ApplicationError


class NotAuthenticatedOperator(ApplicationError):
    code = ActionErrorCode.NOT_AUTHENTICATED
    status_code = 401


class IsOperator(BasePermission):
    """Staff only. Anonymous callers get 401 (with a token scheme to try), others 403."""

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            raise NotAuthenticatedOperator("Sign in as an operator (session) or send `Authorization: Token …`.")
        if not (user.is_active and user.is_staff):
            raise OperatorRequired("Only staff can decide actions.")
        return True


OPERATOR_AUTHENTICATION = [TokenAuthentication, SessionAuthentication]
