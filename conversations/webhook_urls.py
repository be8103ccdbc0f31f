from django.urls import path

from conversations import apis

urlpatterns = [
    path("whatsapp", apis.WhatsAppWebhookApi.as_view(), name="webhook-whatsapp"),
]
