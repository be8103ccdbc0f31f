from channels.auth import AuthMiddlewareStack
from django.urls import path

from conversations.consumers import ChatConsumer, OperatorConsumer

websocket_urlpatterns = [
    # The chat's only key is the conversation's bearer token: no cookie, session or user is read
    # for it, so a customer's socket neither keeps them (four middleware frames and their scope
    # copies, alive as long as the socket) nor waits on a session lookup to open.
    path("ws/chat/<str:conversation_id>/", ChatConsumer.as_asgi()),
    # The operator inbox is for staff sessions.
    path("ws/operators/", AuthMiddlewareStack(OperatorConsumer.as_asgi())),
]
