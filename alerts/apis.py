from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from actions.authentication import action_from_request
from alerts.enums import AlertChannel
from alerts.services.subscriptions import back_in_stock_subscribe, back_in_stock_subscribe_for_action
from core.authentication import conversation_from_request
from core.ratelimit import client_address
from core.schema import ErrorSerializer


class BackInStockSubscriptionSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField(help_text="pending (confirm by the link sent) or active")
    channel = serializers.CharField()
    contact = serializers.CharField(help_text="As stored: lower-cased email, E.164 phone, or the conversation id")
    psNumber = serializers.CharField(source="product.ps_number")
    created_at = serializers.DateTimeField(allow_null=True)


class BackInStockSubscriptionCreateApi(APIView):
    """Subscribe to a back-in-stock alert, from the chat's `notify_when_in_stock` button or directly.

    From the button: `action_id` with the conversation's `Authorization: Bearer <token>`; the part
    comes from the action. Directly: `psNumber`, `channel` and `contact`. `web` alerts go to the open
    chat itself (the button, or `conversation_id` with its token).

    A contact the caller has proven (the open chat, the conversation's verified address, a signed-in
    customer's own): 201 for a new subscription, 200 when one already existed (returned as it is).
    Any other contact: always 202 with status `pending`, whether or not it was already subscribed,
    so nobody learns another person's subscriptions (a new one gets its confirmation link).
    """

    class InputSerializer(serializers.Serializer):
        action_id = serializers.CharField(max_length=32, required=False)
        payload = serializers.DictField(required=False, help_text="The button's payload (client copy), compared.")
        psNumber = serializers.CharField(max_length=32, required=False)
        channel = serializers.ChoiceField(choices=AlertChannel.choices, required=False)
        contact = serializers.CharField(max_length=320, required=False, allow_blank=True, trim_whitespace=True)
        conversation_id = serializers.CharField(max_length=32, required=False)

        def validate(self, attrs):
            if not attrs.get("action_id") and not attrs.get("psNumber"):
                raise serializers.ValidationError({"psNumber": ["Give psNumber, or action_id from the chat button."]})
            channel = attrs.get("channel")
            if not attrs.get("action_id") and not channel:
                raise serializers.ValidationError({"channel": ["This field is required."]})
            return attrs  # the contact is checked (and normalised) for its channel by the service

    class OutputSerializer(serializers.Serializer):
        subscription = BackInStockSubscriptionSerializer()
        created = serializers.BooleanField(allow_null=True, help_text="null when the answer must not tell (202)")

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            200: OpenApiResponse(OutputSerializer, description="The live subscription that already existed."),
            202: OpenApiResponse(
                OutputSerializer, description="A contact the caller has not proven: the same answer either way."
            ),
            400: OpenApiResponse(
                ErrorSerializer, description="contact_invalid, channel_unavailable, conversation_required, invalid"
            ),
            404: OpenApiResponse(ErrorSerializer, description="product_not_found, action_not_found"),
            409: OpenApiResponse(ErrorSerializer, description="product_in_stock (buy it now), action_not_clickable"),
            429: OpenApiResponse(
                ErrorSerializer, description="rate_limited (per IP or per contact); Retry-After says when"
            ),
        },
        tags=["alerts"],
        summary="Subscribe to a back-in-stock alert",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values.get("action_id"):
            action = action_from_request(request, values["action_id"])
            result = back_in_stock_subscribe_for_action(
                action=action,
                contact=values.get("contact", ""),
                channel=values.get("channel"),
                submitted_payload=values.get("payload"),
                user=request.user,
                ip=client_address(request),
            )
        else:
            conversation = (
                conversation_from_request(request, values["conversation_id"]) if values.get("conversation_id") else None
            )
            result = back_in_stock_subscribe(
                ps_number=values["psNumber"],
                channel=values["channel"],
                contact=values.get("contact", ""),
                conversation=conversation,
                user=request.user,
                ip=client_address(request),
            )
        if not result.verified:
            body = self.OutputSerializer({"subscription": result.subscription, "created": None}).data
            body["subscription"].update(status="pending", created_at=None)
            return Response(body, status=status.HTTP_202_ACCEPTED)
        body = self.OutputSerializer({"subscription": result.subscription, "created": result.created}).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
