from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from actions.authentication import action_from_request
from actions.selectors import action_get_for_conversation
from actions.serializers import action_to_dict
from actions.services.clicks import action_click
from actions.services.execution import action_alternatives_execute
from conversations.enums import Channel, Role
from conversations.selectors import handoff_public_dict, messages_list
from conversations.serializers import message_to_dict
from conversations.services.conversations import conversation_start
from conversations.services.handoff import handoff_contact_set, handoff_rate, handoff_request
from conversations.services.messages import history_after_seq_clean
from conversations.services.replies import customer_message_handle
from conversations.services.whatsapp_webhook import whatsapp_challenge_answer, whatsapp_webhook_receive
from conversations.throttles import ConversationStartAddressThrottle, ConversationStartEmailThrottle
from core.authentication import conversation_from_request
from core.schema import ErrorSerializer


class MessageOutputSerializer(serializers.Serializer):
    """The reply contract: `message_to_dict` builds a message, this declares (and, where a view
    passes its answer through it, checks) its shape."""

    id = serializers.CharField()
    seq = serializers.IntegerField()
    role = serializers.ChoiceField(
        choices=Role.choices,
        help_text="user (the customer), assistant, operator (a person from the team), internal (a notice)",
    )
    type = serializers.CharField()
    content = serializers.CharField()
    parts = serializers.ListField(child=serializers.DictField())
    actions = serializers.ListField(child=serializers.DictField())
    createdAt = serializers.DateTimeField()
    operator = inline_serializer(
        "MessageOperator",
        {"name": serializers.CharField(help_text="The operator's display name.")},
        allow_null=True,
        help_text='Set on `role: "operator"` messages (a person from the team wrote it); null otherwise.',
    )
    delivery = serializers.DictField(
        required=False, help_text="WhatsApp only: {channel, status (accepted|sent|delivered|read|failed), at, error}"
    )


class MessageListSerializer(serializers.Serializer):
    """GET …/messages: the conversation's messages, oldest first."""

    messages = MessageOutputSerializer(many=True)


class MessageExchangeSerializer(serializers.Serializer):
    """POST …/messages: the customer's stored message and the assistant's reply (null while a
    person from the team is asked for or holds the conversation)."""

    message = MessageOutputSerializer()
    reply = MessageOutputSerializer(allow_null=True)


# The exchange's shape, bound once: a serializer builds its fields (deep copies of the declared
# ones) on every instantiation, about a millisecond a reply for these two nested messages, while
# turning a dict into its representation reads nothing of the instance but those fields.
_EXCHANGE_SHAPE = MessageExchangeSerializer()


class ConversationStartApi(APIView):
    authentication_classes: list = []
    throttle_classes = [ConversationStartAddressThrottle, ConversationStartEmailThrottle]

    class InputSerializer(serializers.Serializer):
        channel = serializers.ChoiceField(choices=[Channel.WEB, Channel.API], default=Channel.WEB)
        context = serializers.DictField(required=False, default=dict)
        name = serializers.CharField(required=False, allow_blank=True, max_length=200)
        email = serializers.EmailField(required=False, allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField()
        token = serializers.CharField()
        wsUrl = serializers.CharField()
        messages = MessageOutputSerializer(many=True)

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer},
        tags=["chat"],
        summary="Open a conversation; the token is shown only here",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conversation, token = conversation_start(
            channel=data.validated_data["channel"],
            context=data.validated_data["context"],
            customer_name=data.validated_data.get("name", ""),
            customer_email=data.validated_data.get("email", ""),
        )
        body = {
            "id": conversation.id,
            "token": token,
            "wsUrl": f"/ws/chat/{conversation.id}/?token={token}",
            "messages": [message_to_dict(m) for m in messages_list(conversation=conversation)],
        }
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


class ConversationMessagesApi(APIView):
    """GET reads the conversation's messages; POST sends a customer message and returns the reply."""

    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        content = serializers.CharField(max_length=settings.PARLEY_MESSAGE_MAX_LENGTH, trim_whitespace=True)
        client_message_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    @extend_schema(
        parameters=[
            OpenApiParameter("after", str, description="Only messages after this message id"),
            OpenApiParameter(
                "after_seq", int, description="Only messages with a greater seq (the client's last contiguous seq)"
            ),
        ],
        responses={200: MessageListSerializer},
        tags=["chat"],
        summary="A conversation's messages (needs its token)",
    )
    def get(self, request, conversation_id: str):
        conversation = conversation_from_request(request, conversation_id)
        after = request.query_params.get("after") or None
        after_seq = history_after_seq_clean(request.query_params.get("after_seq"))
        messages = messages_list(conversation=conversation, after_id=after, after_seq=after_seq)
        return Response(MessageListSerializer({"messages": [message_to_dict(m) for m in messages]}).data)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: MessageExchangeSerializer,
        },
        tags=["chat"],
        summary="Send a customer message and get the assistant's reply",
        description=(
            "`reply` is null while a person from the team is asked for or holds the conversation "
            "(`handoff.state` `waiting_for_human` or `assigned`): the assistant stays silent and the "
            'operator\'s answer arrives as a `role: "operator"` message on the socket and in the history.'
        ),
    )
    def post(self, request, conversation_id: str):
        conversation = conversation_from_request(request, conversation_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_message, reply = customer_message_handle(
            conversation=conversation,
            content=data.validated_data["content"],
            client_message_id=data.validated_data["client_message_id"],
        )
        exchange = {"message": message_to_dict(user_message), "reply": message_to_dict(reply) if reply else None}
        return Response(_EXCHANGE_SHAPE.to_representation(exchange), status=status.HTTP_201_CREATED)


class ActionClickApi(APIView):
    authentication_classes: list = []

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "ActionState",
                {
                    "id": serializers.CharField(),
                    "status": serializers.CharField(),
                    "enabled": serializers.BooleanField(),
                },
            )
        },
        tags=["chat"],
        summary="Record that the customer pressed a button",
    )
    def post(self, request, conversation_id: str, action_id: str):
        conversation = conversation_from_request(request, conversation_id)
        action = action_get_for_conversation(action_id=action_id, conversation_id=conversation.id)
        action = action_click(action=action)
        return Response(action_to_dict(action))


class ActionAlternativesApi(APIView):
    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        action_id = serializers.CharField(max_length=32)
        payload = serializers.DictField(required=False)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: inline_serializer(
                "Alternatives", {"alternatives": serializers.ListField(child=serializers.DictField())}
            )
        },
        tags=["chat"],
        summary="Compatible alternatives for a check_compatible_alternatives action",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        action = action_from_request(request, data.validated_data["action_id"])
        cards = action_alternatives_execute(action=action, submitted_payload=data.validated_data.get("payload"))
        return Response({"alternatives": cards})


class HandoffPublicSerializer(serializers.Serializer):
    """What the customer sees of a handoff (also the `handoff` socket frame's `handoff`)."""

    state = serializers.ChoiceField(
        choices=["bot", "waiting_for_human", "assigned", "resolved"],
        help_text="Who answers: the assistant (bot, resolved), nobody yet (waiting_for_human), a person (assigned).",
    )
    operator = inline_serializer(
        "HandoffOperator", {"name": serializers.CharField()}, allow_null=True, help_text="Who you're talking to."
    )
    afterHours = serializers.BooleanField(help_text="Asked for outside shop hours: someone answers at nextOpening.")
    nextOpening = serializers.DateTimeField(allow_null=True)
    emailWanted = serializers.BooleanField(help_text="Ask the customer for an email to send the answer to.")
    canRate = serializers.BooleanField(help_text="A resolved conversation with a person not rated yet.")


class ConversationHandoffApi(APIView):
    """GET: who answers the conversation. POST: the customer asks for a person."""

    authentication_classes: list = []

    class OutputSerializer(serializers.Serializer):
        handoff = HandoffPublicSerializer()

    def _answer(self, conversation, code=status.HTTP_200_OK):
        conversation.refresh_from_db(fields=["handling", "assignee"])
        return Response(self.OutputSerializer({"handoff": handoff_public_dict(conversation)}).data, status=code)

    @extend_schema(responses={200: OutputSerializer}, tags=["chat"], summary="Who answers the conversation now")
    def get(self, request, conversation_id: str):
        return self._answer(conversation_from_request(request, conversation_id))

    @extend_schema(
        request=None,
        responses={200: OutputSerializer},
        tags=["chat"],
        summary="Ask for a person from the team (asking again is the same request)",
        description="The assistant stays silent until the person resolves the conversation.",
    )
    def post(self, request, conversation_id: str):
        conversation = conversation_from_request(request, conversation_id)
        handoff_request(conversation=conversation)
        return self._answer(conversation)


class HandoffContactApi(APIView):
    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        email = serializers.CharField(max_length=254)

    @extend_schema(
        request=InputSerializer,
        responses={200: ConversationHandoffApi.OutputSerializer},
        tags=["chat"],
        summary="Leave an email for the team's answer (outside shop hours)",
        description="400 `handoff_contact_invalid` for a bad address; 409 `handoff_transition_invalid` when no "
        "person was asked for.",
    )
    def post(self, request, conversation_id: str):
        conversation = conversation_from_request(request, conversation_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handoff_contact_set(conversation=conversation, email=data.validated_data["email"])
        conversation.refresh_from_db(fields=["handling", "assignee"])
        return Response({"handoff": HandoffPublicSerializer(handoff_public_dict(conversation)).data})


class HandoffRatingApi(APIView):
    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        score = serializers.IntegerField(min_value=1, max_value=5)
        comment = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")

    @extend_schema(
        request=InputSerializer,
        responses={201: inline_serializer("HandoffRating", {"score": serializers.IntegerField()})},
        tags=["chat"],
        summary="Rate the help of the team (1-5, optional comment) after a resolved conversation",
        description="409 `rating_not_allowed` before the conversation with a person is resolved, "
        "409 `rating_already_given` the second time.",
    )
    def post(self, request, conversation_id: str):
        conversation = conversation_from_request(request, conversation_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handoff = handoff_rate(conversation=conversation, **data.validated_data)
        return Response({"score": handoff.rating}, status=status.HTTP_201_CREATED)


class WhatsAppWebhookApi(APIView):
    """Meta's WhatsApp Cloud API webhook: the subscription check (GET) and signed events (POST)."""

    authentication_classes: list = []
    permission_classes: list = []
    parser_classes: list = []  # the signature covers the raw body: read it before any parsing
    throttle_classes: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("hub.mode", str, required=True, description="Always `subscribe`."),
            OpenApiParameter("hub.verify_token", str, required=True, description="Must equal WHATSAPP_VERIFY_TOKEN."),
            OpenApiParameter("hub.challenge", str, required=True, description="Echoed back as plain text."),
        ],
        responses={
            (200, "text/plain"): OpenApiResponse(str, description="The challenge, as sent"),
            403: OpenApiResponse(ErrorSerializer, description="Wrong verify token, or webhooks not configured"),
        },
        tags=["whatsapp"],
        summary="WhatsApp webhook verification (Meta's subscription check)",
    )
    def get(self, request):
        challenge = whatsapp_challenge_answer(
            mode=request.query_params.get("hub.mode", ""),
            token=request.query_params.get("hub.verify_token", ""),
            challenge=request.query_params.get("hub.challenge", ""),
        )
        return HttpResponse(challenge, content_type="text/plain")

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter(
                "X-Hub-Signature-256",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="`sha256=` + HMAC-SHA256 of the raw body with the app secret (WHATSAPP_APP_SECRET).",
            )
        ],
        responses={
            200: inline_serializer(
                "WhatsAppWebhookAck",
                {
                    "received": serializers.BooleanField(),
                    "stored": serializers.IntegerField(help_text="New messages and status callbacks stored"),
                    "duplicates": serializers.IntegerField(help_text="Items already stored (Meta's retries)"),
                },
            ),
            400: OpenApiResponse(
                ErrorSerializer,
                description="`whatsapp_payload_invalid`: not a WhatsApp webhook body; `invalid_characters`: "
                "a NUL or lone surrogate in a message or callback",
            ),
            401: OpenApiResponse(
                ErrorSerializer, description="`whatsapp_signature_missing` / `whatsapp_signature_invalid`"
            ),
            403: OpenApiResponse(ErrorSerializer, description="`whatsapp_not_configured`: no app secret set"),
        },
        tags=["whatsapp"],
        summary="WhatsApp webhook events (inbound messages, button taps, status callbacks)",
    )
    def post(self, request):
        receipt = whatsapp_webhook_receive(
            payload=request.body, signature=request.headers.get("X-Hub-Signature-256", "")
        )
        return Response({"received": True, "stored": receipt.stored, "duplicates": receipt.duplicates})
