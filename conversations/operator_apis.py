"""The operator inbox's REST API (staff only, `/api/operator/…`): lists, one conversation, claim /
assign / unassign / resolve / reopen, replies, typing, internal notes and saved replies.

Every view calls one service or selector; refusals are `{"error": {"code", "detail", "fields"}}`
with the codes of conversations/error_codes.py (409 `handoff_assigned_to_other`,
`handoff_transition_invalid`, `message_already_answered`; 404 `conversation_not_found`,
`operator_not_found`, `saved_reply_not_found`; 400 `message_empty`, `note_invalid`, …).
Authenticate with a staff session or `Authorization: Token <operator token>`.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from actions.permissions import OPERATOR_AUTHENTICATION, IsOperator
from conversations.apis import MessageOutputSerializer
from conversations.enums import InboxView
from conversations.inbox.selectors import (
    PAGE_SIZE,
    PAGE_SIZE_MAX,
    QUERY_MAX_LENGTH,
    inbox_conversation_get,
    inbox_conversations_list,
    inbox_query_clean,
)
from conversations.models import ConversationNote, SavedReply
from conversations.selectors import handoff_operator_dict, operator_display_name
from conversations.serializers import inbox_conversation_to_dict, message_to_dict
from conversations.services import handoff as handoff_services
from conversations.services.notes import NOTE_MAX_LENGTH, conversation_note_create, note_to_dict
from conversations.services.operator_replies import operator_reply_send, operator_typing_push
from conversations.services.operators import conversation_for_operator
from conversations.services.saved_replies import VARIABLES, saved_reply_create, saved_reply_render

TAGS = ["operators"]


class HandoffSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["bot", "waiting_for_human", "assigned", "resolved"])
    assignee = serializers.DictField(allow_null=True, help_text="{id, name} of the operator holding it.")
    handoffId = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    requestedBy = serializers.CharField(allow_null=True)
    requestedAt = serializers.DateTimeField(allow_null=True)
    assignedAt = serializers.DateTimeField(allow_null=True)
    firstResponseAt = serializers.DateTimeField(allow_null=True)
    resolvedAt = serializers.DateTimeField(allow_null=True)
    afterHours = serializers.BooleanField()
    notifyEmail = serializers.CharField(allow_blank=True)
    operator = serializers.DictField(allow_null=True, help_text="{id, name} of who handled the latest handoff.")
    rating = serializers.IntegerField(allow_null=True)
    ratingComment = serializers.CharField(allow_blank=True)


class InboxCustomerSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)


class InboxLastMessageSerializer(serializers.Serializer):
    id = serializers.CharField()
    seq = serializers.IntegerField()
    role = serializers.CharField()
    content = serializers.CharField(allow_blank=True, help_text="The first 200 characters.")
    createdAt = serializers.DateTimeField()


class InboxConversationSerializer(serializers.Serializer):
    id = serializers.CharField()
    channel = serializers.CharField()
    channelLabel = serializers.CharField()
    status = serializers.CharField()
    handling = serializers.CharField()
    assignee = serializers.DictField(allow_null=True, help_text="{id, name} of the operator holding it.")
    customer = InboxCustomerSerializer()
    lastMessageAt = serializers.DateTimeField(allow_null=True)
    lastMessage = InboxLastMessageSerializer(allow_null=True, help_text="Internal status lines left out.")
    unread = serializers.IntegerField(
        allow_null=True, help_text="Customer messages this operator has not opened yet (null in live pushes)."
    )


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conversationId = serializers.CharField()
    author = serializers.DictField(allow_null=True)
    content = serializers.CharField()
    createdAt = serializers.DateTimeField()


class _OperatorApi(APIView):
    authentication_classes = OPERATOR_AUTHENTICATION
    permission_classes = [IsOperator]


class OperatorConversationListApi(_OperatorApi):
    class InputSerializer(serializers.Serializer):
        # The selector checks view and query (400 `inbox_query_invalid`).
        view = serializers.CharField(required=False, default=InboxView.OPEN)
        q = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")
        limit = serializers.IntegerField(required=False, min_value=1, max_value=PAGE_SIZE_MAX, default=PAGE_SIZE)

    class OutputSerializer(serializers.Serializer):
        conversations = InboxConversationSerializer(many=True)

    @extend_schema(
        parameters=[
            OpenApiParameter("view", str, enum=InboxView.values, description="Which list (default open)."),
            OpenApiParameter(
                "q",
                str,
                description=(
                    "Any part of the customer's name or email, the phone's digits, an order number, a part "
                    f"number, or words of the messages (3 characters or more); at most {QUERY_MAX_LENGTH}."
                ),
            ),
            OpenApiParameter("limit", int, description=f"At most this many (1-{PAGE_SIZE_MAX}, default {PAGE_SIZE})."),
        ],
        responses={200: OutputSerializer},
        tags=TAGS,
        operation_id="operator_conversations_list",
        summary="Inbox lists: waiting for a person, mine, all open, resolved, all; search; unread (staff only)",
    )
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        rows = inbox_conversations_list(
            view=data.validated_data["view"],
            operator=request.user,
            query=inbox_query_clean(data.validated_data["q"]),
            limit=data.validated_data["limit"],
        )
        return Response(self.OutputSerializer({"conversations": [inbox_conversation_to_dict(c) for c in rows]}).data)


class OperatorConversationDetailApi(_OperatorApi):
    class OutputSerializer(serializers.Serializer):
        conversation = InboxConversationSerializer()
        handoff = HandoffSerializer()
        messages = MessageOutputSerializer(many=True)
        notes = NoteSerializer(many=True)

    @extend_schema(
        responses={200: OutputSerializer},
        tags=TAGS,
        summary="One conversation: its messages as the customer sees them, its handoff and internal notes",
    )
    def get(self, request, conversation_id: str):
        conversation, messages = conversation_for_operator(conversation_id=conversation_id)
        notes = ConversationNote.objects.filter(conversation=conversation).select_related("author")
        body = {
            "conversation": inbox_conversation_to_dict(
                inbox_conversation_get(operator=request.user, conversation_id=conversation.id)
            ),
            "handoff": handoff_operator_dict(conversation),
            "messages": messages,
            "notes": [note_to_dict(n) for n in notes],
        }
        return Response(self.OutputSerializer(body).data)


def _handoff_answer(conversation_id: str) -> Response:
    from conversations.models import Conversation

    conversation = Conversation.objects.select_related("assignee").get(pk=conversation_id)
    return Response({"handoff": HandoffSerializer(handoff_operator_dict(conversation)).data})


_HANDOFF_RESPONSE = inline_serializer("OperatorHandoff", {"handoff": HandoffSerializer()})


class OperatorConversationClaimApi(_OperatorApi):
    @extend_schema(
        request=None,
        responses={200: _HANDOFF_RESPONSE},
        tags=TAGS,
        summary="Take the conversation (from the queue, or over from the assistant)",
        description="409 `handoff_assigned_to_other` when another operator holds it; claiming it again is a no-op.",
    )
    def post(self, request, conversation_id: str):
        handoff_services.handoff_claim(conversation_id=conversation_id, operator=request.user)
        return _handoff_answer(conversation_id)


class OperatorConversationAssignApi(_OperatorApi):
    class InputSerializer(serializers.Serializer):
        operator_id = serializers.IntegerField(min_value=1)

    @extend_schema(
        request=InputSerializer,
        responses={200: _HANDOFF_RESPONSE},
        tags=TAGS,
        summary="Give the conversation to an operator (404 `operator_not_found` for anyone not active staff)",
    )
    def post(self, request, conversation_id: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handoff_services.handoff_assign(
            conversation_id=conversation_id, operator_id=data.validated_data["operator_id"], actor=request.user
        )
        return _handoff_answer(conversation_id)


class OperatorConversationUnassignApi(_OperatorApi):
    @extend_schema(
        request=None,
        responses={200: _HANDOFF_RESPONSE},
        tags=TAGS,
        summary="Put the conversation back in the queue (waiting for a person)",
        description="409 `handoff_transition_invalid` when nobody holds it.",
    )
    def post(self, request, conversation_id: str):
        handoff_services.handoff_unassign(conversation_id=conversation_id, actor=request.user)
        return _handoff_answer(conversation_id)


class OperatorConversationResolveApi(_OperatorApi):
    @extend_schema(
        request=None,
        responses={200: _HANDOFF_RESPONSE},
        tags=TAGS,
        summary="Resolve: the assistant answers again and the customer may rate the help",
        description="409 `handoff_transition_invalid` unless a person is asked for or holds it.",
    )
    def post(self, request, conversation_id: str):
        handoff_services.handoff_resolve(conversation_id=conversation_id, actor=request.user)
        return _handoff_answer(conversation_id)


class OperatorConversationReopenApi(_OperatorApi):
    @extend_schema(
        request=None,
        responses={200: _HANDOFF_RESPONSE},
        tags=TAGS,
        summary="Reopen a resolved conversation (the caller holds it)",
        description="409 `handoff_transition_invalid` unless it is resolved.",
    )
    def post(self, request, conversation_id: str):
        handoff_services.handoff_reopen(conversation_id=conversation_id, actor=request.user)
        return _handoff_answer(conversation_id)


class OperatorReplyApi(_OperatorApi):
    class InputSerializer(serializers.Serializer):
        content = serializers.CharField(max_length=settings.PARLEY_MESSAGE_MAX_LENGTH, trim_whitespace=True)
        client_message_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
        reply_to = serializers.CharField(
            max_length=32,
            required=False,
            allow_blank=True,
            default="",
            help_text="The customer message this answers: a second answer to it is refused (409).",
        )

    class OutputSerializer(serializers.Serializer):
        message = MessageOutputSerializer()

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer},
        tags=TAGS,
        summary="Write to the customer on the conversation's own channel, once, under your name",
        description=(
            'Stored as a `role: "operator"` message with `operator.name`; the web chat hears it at once, '
            "WhatsApp and email get it through the outbox (once per message). A conversation nobody holds is "
            "claimed by the reply; one another operator holds is refused with 409 `handoff_assigned_to_other`. "
            "`reply_to` refuses a second answer to the same customer message (409 `message_already_answered`); "
            "`client_message_id` makes a retry return the stored message."
        ),
    )
    def post(self, request, conversation_id: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = operator_reply_send(conversation_id=conversation_id, operator=request.user, **data.validated_data)
        return Response(
            self.OutputSerializer({"message": message_to_dict(message)}).data, status=status.HTTP_201_CREATED
        )


class OperatorTypingApi(_OperatorApi):
    class InputSerializer(serializers.Serializer):
        active = serializers.BooleanField()

    @extend_schema(
        request=InputSerializer,
        responses={204: None},
        tags=TAGS,
        summary="Show (or stop showing) that you are typing, to the customer",
    )
    def post(self, request, conversation_id: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        operator_typing_push(conversation_id=conversation_id, operator=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OperatorNoteApi(_OperatorApi):
    class InputSerializer(serializers.Serializer):
        content = serializers.CharField(max_length=NOTE_MAX_LENGTH)

    @extend_schema(
        request=InputSerializer,
        responses={201: NoteSerializer},
        tags=TAGS,
        summary="Add an internal note (operators only; never shown to the customer)",
    )
    def post(self, request, conversation_id: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = conversation_note_create(
            conversation_id=conversation_id, author=request.user, content=data.validated_data["content"]
        )
        return Response(NoteSerializer(note_to_dict(note)).data, status=status.HTTP_201_CREATED)


class OperatorListApi(_OperatorApi):
    @extend_schema(
        responses={
            200: inline_serializer("Operators", {"operators": serializers.ListField(child=serializers.DictField())})
        },
        tags=TAGS,
        summary="Active operators, to assign a conversation to",
    )
    def get(self, request):
        users = get_user_model().objects.filter(is_staff=True, is_active=True).order_by("first_name", "username")
        return Response({"operators": [{"id": u.pk, "name": operator_display_name(u)} for u in users[:500]]})


class SavedReplySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(max_length=80)
    body = serializers.CharField(max_length=4000)


class SavedReplyListApi(_OperatorApi):
    @extend_schema(
        responses={
            200: inline_serializer(
                "SavedReplies",
                {
                    "savedReplies": SavedReplySerializer(many=True),
                    "variables": serializers.ListField(child=serializers.CharField()),
                },
            )
        },
        tags=TAGS,
        summary="Saved replies, and the variables their bodies may use",
    )
    def get(self, request):
        rows = SavedReply.objects.filter(is_active=True)
        return Response({"savedReplies": SavedReplySerializer(rows, many=True).data, "variables": list(VARIABLES)})

    @extend_schema(
        request=SavedReplySerializer,
        responses={201: SavedReplySerializer},
        tags=TAGS,
        summary="Add a saved reply (400 `saved_reply_invalid` for a body that is not a template)",
    )
    def post(self, request):
        data = SavedReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = saved_reply_create(**data.validated_data)
        return Response(SavedReplySerializer(reply).data, status=status.HTTP_201_CREATED)


class SavedReplyRenderApi(_OperatorApi):
    class InputSerializer(serializers.Serializer):
        conversation_id = serializers.CharField(max_length=32)

    @extend_schema(
        request=InputSerializer,
        responses={200: inline_serializer("SavedReplyText", {"text": serializers.CharField()})},
        tags=TAGS,
        summary="A saved reply filled in for a conversation (customer name, order number, part), to edit and send",
    )
    def post(self, request, saved_reply_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        text = saved_reply_render(
            saved_reply_id=saved_reply_id, conversation_id=data.validated_data["conversation_id"], operator=request.user
        )
        return Response({"text": text})
