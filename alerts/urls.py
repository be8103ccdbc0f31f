from django.urls import path

from alerts import apis

urlpatterns = [
    path("back-in-stock", apis.BackInStockSubscriptionCreateApi.as_view(), name="alerts-back-in-stock"),
]
