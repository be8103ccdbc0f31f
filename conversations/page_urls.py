from django.urls import path

from conversations.pages import ChatPageView, DemoProductPageView, WidgetConfigView

urlpatterns = [
    path("", ChatPageView.as_view(), name="chat"),
    path("chat/widget/config", WidgetConfigView.as_view(), name="chat-widget-config"),
    path("demo/product/<str:ps_number>/", DemoProductPageView.as_view(), name="demo-product"),
]
