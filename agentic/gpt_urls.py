from django.urls import path

from agentic.gpt import (
    GptAlertSubscribeApi,
    GptCheckoutStartApi,
    GptCompatibilityApi,
    GptOpenApiDocumentApi,
    GptPartDetailApi,
    GptPartSearchApi,
)

urlpatterns = [
    path("openapi.json", GptOpenApiDocumentApi.as_view(), name="gpt-openapi"),
    path("parts/search", GptPartSearchApi.as_view(), name="gpt-part-search"),
    path("parts/<str:ps_number>", GptPartDetailApi.as_view(), name="gpt-part-detail"),
    path("compatibility", GptCompatibilityApi.as_view(), name="gpt-compatibility"),
    path("checkout", GptCheckoutStartApi.as_view(), name="gpt-checkout"),
    path("alerts/back-in-stock", GptAlertSubscribeApi.as_view(), name="gpt-alert-subscribe"),
]
