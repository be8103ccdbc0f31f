from django.urls import path

from conversations.pages import ChatPageView

urlpatterns = [
    path("", ChatPageView.as_view(), name="chat"),
]
