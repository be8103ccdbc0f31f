from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from actions.authentication import action_from_request
from checkout.enums import FulfilmentStatus
from checkout.error_codes import CheckoutErrorCode
from checkout.exceptions import CheckoutError
from checkout.selectors import order_get_for_staff
from checkout.services.fulfilment import order_fulfilment_transition
from checkout.services.pricing import plan_quote
from checkout.services.sessions import checkout_session_create_for_action, checkout_session_create_for_plan
from checkout.services.webhooks import stripe_webhook_receive
from checkout.throttles import (
    CheckoutAddressThrottle,
    CheckoutCustomerThrottle,
    DiscountAddressThrottle,
    DiscountCustomerThrottle,
)
from core.authentication import conversation_from_request
from core.schema import ErrorSerializer


class PlanPayloadSerializer(serializers.Serializer):
    """Seeds/004's checkout payload. Documented here; validated by the pricing service (precise codes)."""

    product_type = serializers.ChoiceField(choices=["email", "chat", "bundle"])
    email_plan = serializers.CharField(required=False, allow_null=True, help_text="starter | standard | premium")
    chat_plan = serializers.CharField(required=False, allow_null=True, help_text="starter | growth | pro")
    chat_addon = serializers.BooleanField(required=False, allow_null=True)
    calculated_monthly_price = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, help_text="What the customer saw; compared, never used."
    )


class QuoteLineSerializer(serializers.Serializer):
    kind = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    monthlyPrice = serializers.CharField()


class CheckoutQuoteApi(APIView):
    """Price a plan payload and say whether the chat setup steps apply. Anyone may ask."""

    authentication_classes: list = []

    class OutputSerializer(serializers.Serializer):
        product_type = serializers.CharField()
        email_plan = serializers.CharField(allow_null=True)
        chat_plan = serializers.CharField(allow_null=True)
        chat_addon = serializers.BooleanField()
        currency = serializers.CharField()
        monthly_price = serializers.CharField()
        discount = serializers.CharField(help_text="The bundle saving, when the bundle rule is a percentage.")
        bundle_rule = serializers.CharField()
        lines = QuoteLineSerializer(many=True)
        chat_setup_steps = serializers.BooleanField()
        chat_features = serializers.CharField(allow_null=True, help_text="standalone, or the email tier they follow")

    @extend_schema(
        request=PlanPayloadSerializer,
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Invalid plan combination"),
        },
        tags=["checkout"],
        summary="Quote a plan (email, chat or bundle) from the price book",
    )
    def post(self, request):
        quote = plan_quote(payload=request.data)
        body = {
            "product_type": quote.product_type,
            "email_plan": quote.email_plan,
            "chat_plan": quote.chat_plan,
            "chat_addon": quote.chat_addon,
            "currency": quote.currency,
            "monthly_price": f"{quote.monthly_price:.2f}",
            "discount": f"{quote.discount:.2f}",
            "bundle_rule": quote.bundle_rule,
            "lines": [line.as_dict() for line in quote.lines],
            "chat_setup_steps": quote.chat_setup_steps,
            "chat_features": quote.chat_features,
        }
        return Response(self.OutputSerializer(body).data)


class CheckoutSessionCreateApi(APIView):
    """Start paying: for a confirmed `checkout_now` action (conversation token) or for a plan payload."""

    authentication_classes: list = []
    throttle_classes = [
        CheckoutAddressThrottle,
        CheckoutCustomerThrottle,
        DiscountAddressThrottle,
        DiscountCustomerThrottle,
    ]

    class InputSerializer(serializers.Serializer):
        action_id = serializers.CharField(max_length=32, required=False)
        payload = serializers.DictField(
            required=False, help_text="The client's copy of the action; refused if it differs."
        )
        plan = serializers.DictField(required=False, help_text="A plan payload (see the quote endpoint).")
        conversation_id = serializers.CharField(
            max_length=32, required=False, help_text="Attribute a plan purchase to a conversation (needs its token)."
        )
        email = serializers.EmailField(required=False, help_text="Prefilled at the provider for a plan purchase.")
        discount_code = serializers.CharField(max_length=40, required=False, allow_blank=True)

        def validate(self, data):
            if bool(data.get("action_id")) == bool(data.get("plan")):
                raise CheckoutError(
                    "Send either action_id (a part) or plan (a subscription).",
                    code=CheckoutErrorCode.CHECKOUT_TARGET_INVALID,
                    fields={"action_id": ["Exactly one of action_id and plan."]},
                )
            return data

    class OutputSerializer(serializers.Serializer):
        checkout_url = serializers.CharField()
        session_id = serializers.CharField()
        expires_at = serializers.DateTimeField()
        mode = serializers.CharField()
        provider = serializers.CharField(help_text="stripe, payment_link or test")
        currency = serializers.CharField()
        subtotal = serializers.CharField()
        discount_total = serializers.CharField()
        amount_total = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Invalid request, plan or discount code"),
            404: OpenApiResponse(ErrorSerializer, description="No such action or conversation (or wrong token)"),
            409: OpenApiResponse(ErrorSerializer, description="Out of stock, button no longer usable"),
            502: OpenApiResponse(ErrorSerializer, description="The payment provider refused"),
        },
        tags=["checkout"],
        summary="Create (or return the open) checkout session for an action or a plan",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values.get("action_id"):
            action = action_from_request(request, values["action_id"])
            session = checkout_session_create_for_action(
                action=action, submitted_payload=values.get("payload"), discount_code=values.get("discount_code", "")
            )
        else:
            conversation = (
                conversation_from_request(request, values["conversation_id"]) if values.get("conversation_id") else None
            )
            session = checkout_session_create_for_plan(
                plan=values["plan"],
                conversation=conversation,
                email=values.get("email", ""),
                idempotency_key=request.headers.get("Idempotency-Key", "")[:100],
                discount_code=values.get("discount_code", ""),
            )
        url = session.url if "://" in session.url else request.build_absolute_uri(session.url)
        body = {
            "checkout_url": url,
            "session_id": session.id,
            "expires_at": session.expires_at,
            "mode": session.mode,
            "provider": session.provider,
            "currency": session.currency,
            "subtotal": f"{session.subtotal:.2f}",
            "discount_total": f"{session.discount_total:.2f}",
            "amount_total": f"{session.amount_total:.2f}",
        }
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


class OrderOutputSerializer(serializers.Serializer):
    """An order as staff see it: money, contact, address, fulfilment and its audit trail."""

    class LineSerializer(serializers.Serializer):
        sku = serializers.CharField()
        name = serializers.CharField()
        quantity = serializers.IntegerField()
        unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
        line_total = serializers.DecimalField(max_digits=12, decimal_places=2)

    class RefundSerializer(serializers.Serializer):
        id = serializers.CharField()
        amount = serializers.DecimalField(max_digits=12, decimal_places=2)
        status = serializers.CharField()
        reason = serializers.CharField()
        created_at = serializers.DateTimeField()

    class FulfilmentEventSerializer(serializers.Serializer):
        id = serializers.CharField()
        from_status = serializers.CharField()
        to_status = serializers.CharField()
        actor = serializers.CharField(source="actor_label")
        carrier = serializers.CharField()
        tracking_number = serializers.CharField()
        tracking_url = serializers.CharField()
        note = serializers.CharField()
        created_at = serializers.DateTimeField()

    class AddressSerializer(serializers.Serializer):
        name = serializers.CharField(required=False)
        line_one = serializers.CharField(required=False)
        line_two = serializers.CharField(required=False)
        city = serializers.CharField(required=False)
        state = serializers.CharField(required=False)
        postal_code = serializers.CharField(required=False)
        country = serializers.CharField(required=False)

    number = serializers.CharField()
    status = serializers.CharField()
    order_source = serializers.CharField()
    currency = serializers.CharField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount_code = serializers.CharField(source="discount_code.code", allow_null=True, default=None)
    shipping_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    refunded_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    needs_attention = serializers.BooleanField()
    attention_reason = serializers.CharField()
    provider = serializers.CharField()
    provider_payment_ref = serializers.CharField()
    contact_name = serializers.CharField()
    contact_email = serializers.CharField()
    contact_phone = serializers.CharField()
    shipping_option = serializers.CharField()
    shipping_address = AddressSerializer()
    fulfilment_status = serializers.CharField()
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    tracking_url = serializers.CharField()
    packed_at = serializers.DateTimeField(allow_null=True)
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    conversation_id = serializers.CharField(allow_null=True)
    message_id = serializers.CharField(allow_null=True)
    action_id = serializers.CharField(allow_null=True)
    customer_id = serializers.CharField(allow_null=True)
    checkout_session_id = serializers.CharField(allow_null=True)
    lines = LineSerializer(many=True)
    refunds = RefundSerializer(many=True)
    fulfilment_events = FulfilmentEventSerializer(many=True)
    created_at = serializers.DateTimeField()


class OrderDetailApi(APIView):
    """An order with its lines, money, refunds, contact, address, fulfilment and attribution: staff only."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAdminUser]

    @extend_schema(
        responses={
            200: OrderOutputSerializer,
            403: OpenApiResponse(ErrorSerializer),
            404: OpenApiResponse(ErrorSerializer),
        },
        tags=["checkout"],
        summary="An order by its number (staff only)",
    )
    def get(self, request, number: str):
        order = order_get_for_staff(number=number)
        return Response(OrderOutputSerializer(order).data)


class OrderFulfilmentApi(APIView):
    """Move an order's parcel one step (packed, shipped with carrier and tracking, delivered, or
    cancelled): staff only, through the fulfilment service (audit row, customer and platform told)."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAdminUser]

    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=[
                FulfilmentStatus.PACKED,
                FulfilmentStatus.SHIPPED,
                FulfilmentStatus.DELIVERED,
                FulfilmentStatus.CANCELLED,
            ]
        )
        carrier = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
        tracking_number = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
        tracking_url = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
        note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OrderOutputSerializer,
            400: OpenApiResponse(ErrorSerializer, description="tracking_required, tracking_invalid, bad input"),
            403: OpenApiResponse(ErrorSerializer),
            404: OpenApiResponse(ErrorSerializer),
            409: OpenApiResponse(
                ErrorSerializer,
                description="fulfilment_transition_invalid (not allowed from where the order is), order_not_paid, "
                "fulfilment_not_required",
            ),
        },
        tags=["checkout"],
        summary="Move an order's fulfilment one step (staff only)",
    )
    def post(self, request, number: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        order = order_get_for_staff(number=number)
        order_fulfilment_transition(order=order, to_status=fields.pop("status"), actor=request.user, **fields)
        return Response(OrderOutputSerializer(order_get_for_staff(number=number)).data)


class StripeWebhookApi(APIView):
    """Stripe (and the offline provider) post events here; the signature is checked before anything else."""

    authentication_classes: list = []
    parser_classes: list = []

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "WebhookAck", {"received": serializers.BooleanField(), "duplicate": serializers.BooleanField()}
            ),
            400: OpenApiResponse(
                ErrorSerializer, description="Bad or stale signature, not an event, or one with a NUL or lone surrogate"
            ),
        },
        tags=["checkout"],
        summary="Stripe webhook endpoint",
    )
    def post(self, request):
        _, created = stripe_webhook_receive(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
        return Response({"received": True, "duplicate": not created})
