"""Operator APIs: decide a pending action, list the pending ones (staff only)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from actions.permissions import OPERATOR_AUTHENTICATION, IsOperator
from actions.selectors import actions_pending_list, actions_recently_decided_list
from actions.serializers import operator_action_to_dict
from actions.services.feedback import DECISIONS, REPLY_MAX_LENGTH, action_feedback_apply


class OperatorActionFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["text", "textarea", "money", "integer", "choice"])
    required = serializers.BooleanField()
    maxLength = serializers.IntegerField(allow_null=True)
    choices = serializers.ListField(child=serializers.CharField())
    help = serializers.CharField()
    value = serializers.JSONField()


class OperatorOrderSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    statusLabel = serializers.CharField()
    currency = serializers.CharField()
    total = serializers.CharField()
    refunded = serializers.CharField()
    refundable = serializers.CharField()
    totalDisplay = serializers.CharField()
    refundedDisplay = serializers.CharField()
    refundableDisplay = serializers.CharField()
    createdAt = serializers.DateTimeField()
    fulfilment = serializers.CharField(help_text="unfulfilled, packed, shipped, delivered, cancelled, not_required")
    fulfilmentLabel = serializers.CharField()
    tracking = serializers.CharField(help_text='Carrier and tracking number once shipped ("UPS 1Z…"), else "".')


class OperatorActionSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    title = serializers.CharField(help_text='What operators call the type ("Refund request").')
    label = serializers.CharField(help_text="The customer's button text.")
    payload = serializers.DictField()
    fields = OperatorActionFieldSerializer(many=True, help_text="The payload's fields: the edit form.")
    reason = serializers.CharField(help_text="The customer's reason, as they wrote it.")
    order = OperatorOrderSerializer(allow_null=True, help_text="The order it concerns (this conversation's).")
    changes = serializers.CharField(help_text="What an edit changed, as the customer was told.")
    originalPayload = serializers.DictField(allow_null=True)
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
        # The action as written, with what the inbox shows in hand: no read before or after.
        action = action_feedback_apply(
            action_id=action_id,
            decision=data["decision"],
            operator=request.user,
            reply_text=data["reply_text"],
            edited_payload=data["payload"],
        )
        return Response(operator_action_to_dict(action))


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


class ActionDecidedListApi(APIView):
    authentication_classes = OPERATOR_AUTHENTICATION
    permission_classes = [IsOperator]

    class OutputSerializer(serializers.Serializer):
        actions = OperatorActionSerializer(many=True)

    @extend_schema(
        responses={200: OutputSerializer},
        tags=["operators"],
        summary="The latest operator decisions, newest first (staff only)",
    )
    def get(self, request):
        answer = {"actions": [operator_action_to_dict(a) for a in actions_recently_decided_list()]}
        return Response(self.OutputSerializer(answer).data)
