from django.urls import path

from analytics import apis

urlpatterns = [
    path("shop-orders", apis.ShopOrderWebhookApi.as_view(), name="webhook-shop-orders"),
]
