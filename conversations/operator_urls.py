"""`/api/operator/…`: the operator inbox's REST API (conversations/operator_apis.py)."""

from django.urls import path

from conversations import operator_apis as apis

urlpatterns = [
    path("conversations", apis.OperatorConversationListApi.as_view(), name="operator-conversations"),
    path(
        "conversations/<str:conversation_id>",
        apis.OperatorConversationDetailApi.as_view(),
        name="operator-conversation",
    ),
    path(
        "conversations/<str:conversation_id>/claim", apis.OperatorConversationClaimApi.as_view(), name="operator-claim"
    ),
    path(
        "conversations/<str:conversation_id>/assign",
        apis.OperatorConversationAssignApi.as_view(),
        name="operator-assign",
    ),
    path(
        "conversations/<str:conversation_id>/unassign",
        apis.OperatorConversationUnassignApi.as_view(),
        name="operator-unassign",
    ),
    path(
        "conversations/<str:conversation_id>/resolve",
        apis.OperatorConversationResolveApi.as_view(),
        name="operator-resolve",
    ),
    path(
        "conversations/<str:conversation_id>/reopen",
        apis.OperatorConversationReopenApi.as_view(),
        name="operator-reopen",
    ),
    path("conversations/<str:conversation_id>/messages", apis.OperatorReplyApi.as_view(), name="operator-reply"),
    path("conversations/<str:conversation_id>/typing", apis.OperatorTypingApi.as_view(), name="operator-typing"),
    path("conversations/<str:conversation_id>/notes", apis.OperatorNoteApi.as_view(), name="operator-notes"),
    path("operators", apis.OperatorListApi.as_view(), name="operator-list"),
    path("saved-replies", apis.SavedReplyListApi.as_view(), name="operator-saved-replies"),
    path(
        "saved-replies/<int:saved_reply_id>/render",
        apis.SavedReplyRenderApi.as_view(),
        name="operator-saved-reply-render",
    ),
]
