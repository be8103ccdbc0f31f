from django.urls import path

from agentic.pages import OrderStatusPageView

urlpatterns = [path("<str:token>/", OrderStatusPageView.as_view(), name="agentic-order-page")]
