from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from conversations.inbox.pages import OperatorInboxPageView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/catalog/", include("catalog.urls")),
    path("api/chat/", include("conversations.urls")),
    path("api/actions/", include("actions.urls")),
    path("api/operator/", include("conversations.operator_urls")),
    path("api/checkout/", include("checkout.urls")),
    path("webhooks/", include("checkout.webhook_urls")),
    path("webhooks/", include("analytics.webhook_urls")),
    path("webhooks/", include("conversations.webhook_urls")),
    path("checkout/", include("checkout.page_urls")),
    path("api/alerts/", include("alerts.urls")),
    path("alerts/", include("alerts.page_urls")),
    path("api/analytics/", include("analytics.urls")),
    path("acp/", include("agentic.urls")),
    path("api/gpt/", include("agentic.gpt_urls")),
    path("orders/", include("agentic.page_urls")),
    path("api/admin/", include("analytics.admin_urls")),
    path("dashboard/", include("analytics.page_urls")),
    path("operator/", OperatorInboxPageView.as_view(), name="operator-inbox"),
    path("", include("conversations.page_urls")),
]
