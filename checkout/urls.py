from django.urls import path

from checkout import apis

urlpatterns = [
    path("session", apis.CheckoutSessionCreateApi.as_view(), name="checkout-session-create"),
]
