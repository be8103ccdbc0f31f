from django.urls import path

from checkout import apis

urlpatterns = [
    path("stripe", apis.StripeWebhookApi.as_view(), name="webhook-stripe"),
]
