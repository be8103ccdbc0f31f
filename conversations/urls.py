from django.urls import path

from conversations import apis

urlpatterns = [
    path("conversations", apis.ConversationStartApi.as_view(), name="chat-conversation-start"),
    path("conversations/<str:conversation_id>/messages", apis.ConversationMessagesApi.as_view(), name="chat-messages"),
    path(
        "conversations/<str:conversation_id>/actions/<str:action_id>/click",
        apis.ActionClickApi.as_view(),
        name="chat-action-click",
    ),
    path("conversations/<str:conversation_id>/handoff", apis.ConversationHandoffApi.as_view(), name="chat-handoff"),
    path(
        "conversations/<str:conversation_id>/handoff/contact",
        apis.HandoffContactApi.as_view(),
        name="chat-handoff-contact",
    ),
    path(
        "conversations/<str:conversation_id>/handoff/rating",
        apis.HandoffRatingApi.as_view(),
        name="chat-handoff-rating",
    ),
    path("actions/alternatives", apis.ActionAlternativesApi.as_view(), name="chat-action-alternatives"),
]
