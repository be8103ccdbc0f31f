from django.urls import path

from conversations.consumers import ChatConsumer, OperatorConsumer

websocket_urlpatterns = [
    path("ws/chat/<str:conversation_id>/", ChatConsumer.as_asgi()),
    path("ws/operators/", OperatorConsumer.as_asgi()),
]
