from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from checkout.services.sessions import checkout_session_create_for_action
from checkout.services.webhooks import stripe_webhook_receive
from conversations.authentication import action_from_request


class CheckoutSessionCreateApi(APIView):
    """Start paying for a confirmed `checkout_now` action (needs the conversation's token)."""

    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        action_id = serializers.CharField(max_length=32)
        payload = serializers.DictField(required=False, help_text="The client's copy; refused if it differs.")

    class OutputSerializer(serializers.Serializer):
        checkout_url = serializers.CharField()
        session_id = serializers.CharField()
        expires_at = serializers.DateTimeField()

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer},
        tags=["checkout"],
        summary="Create (or return the open) checkout session for an action",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        action = action_from_request(request, data.validated_data["action_id"])
        session = checkout_session_create_for_action(
            action=action, submitted_payload=data.validated_data.get("payload")
        )
        url = session.url if "://" in session.url else request.build_absolute_uri(session.url)
        body = {"checkout_url": url, "session_id": session.id, "expires_at": session.expires_at}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


class StripeWebhookApi(APIView):
    """Stripe (and the offline provider) post events here; the signature is checked before anything else."""

    authentication_classes: list = []
    parser_classes: list = []

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "WebhookAck", {"received": serializers.BooleanField(), "duplicate": serializers.BooleanField()}
            )
        },
        tags=["checkout"],
        summary="Stripe webhook endpoint",
    )
    def post(self, request):
        _, created = stripe_webhook_receive(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
        return Response({"received": True, "duplicate": not created})
