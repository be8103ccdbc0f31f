"""Operator APIs: decide a pending action, list the pending ones (staff only)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from actions.permissions import OPERATOR_AUTHENTICATION, IsOperator
from actions.selectors import action_get, actions_pending_list
from actions.serializers import operator_action_to_dict
from actions.services.feedback import DECISIONS, REPLY_MAX_LENGTH, action_feedback_apply


class OperatorActionSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    label = serializers.CharField()
    payload = serializers.DictField()
    status = serializers.CharField()
    enabled = serializers.BooleanField()
    error = serializers.CharField()
    conversationId = serializers.CharField()
    channel = serializers.CharField()
    customer = serializers.DictField(allow_null=True)
    decidedBy = serializers.CharField(allow_null=True)
    decidedAt = serializers.DateTimeField(allow_null=True)
    decisionNote = serializers.CharField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


class ActionFeedbackApi(APIView):
    authentication_classes = OPERATOR_AUTHENTICATION
    permission_classes = [IsOperator]

    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=[str(d) for d in DECISIONS])
        reply_text = serializers.CharField(required=False, allow_blank=True, max_length=REPLY_MAX_LENGTH, default="")
        payload = serializers.DictField(required=False, allow_null=True, default=None)

    OutputSerializer = OperatorActionSerializer

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer},
        tags=["operators"],
        summary="Approve, deny or edit a pending action (staff only)",
        description=(
            "Applied exactly once: a second or concurrent decision gets 409 `action_already_decided`; an "
            "action not waiting for a decision gets 409 `action_not_pending`. On commit the customer is "
            "answered on their channel with the response template for the action type and outcome. "
            "`payload` is only accepted (and required) with `decision=edited`. Authenticate with a staff "
            "session or `Authorization: Token <operator token>`."
        ),
        examples=[
            OpenApiExample("approve", value={"decision": "approved", "reply_text": "Refund on its way."}),
            OpenApiExample(
                "edit",
                value={"decision": "edited", "reply_text": "Half refunded.", "payload": {"orderNumber": "ORD-1"}},
            ),
        ],
    )
    def post(self, request, action_id: str):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        action = action_feedback_apply(
            action=action_get(action_id=action_id),
            decision=data["decision"],
            operator=request.user,
            reply_text=data["reply_text"],
            edited_payload=data["payload"],
        )
        return Response(operator_action_to_dict(action_get(action_id=action.id)))


class ActionPendingListApi(APIView):
    authentication_classes = OPERATOR_AUTHENTICATION
    permission_classes = [IsOperator]

    class OutputSerializer(serializers.Serializer):
        actions = OperatorActionSerializer(many=True)

    @extend_schema(
        responses={200: OutputSerializer},
        tags=["operators"],
        summary="Actions waiting for an operator's decision, oldest first (staff only)",
    )
    def get(self, request):
        answer = {"actions": [operator_action_to_dict(a) for a in actions_pending_list()]}
        return Response(self.OutputSerializer(answer).data)
