"""Staff-only analytics API, mounted at /api/admin/."""

from django.urls import path

from analytics import apis

urlpatterns = [
    path("analytics/funnel", apis.FunnelGetApi.as_view(), name="admin-analytics-funnel"),
    path("dashboard", apis.DashboardGetApi.as_view(), name="admin-dashboard"),
    path("analytics/handoff", apis.HandoffMetricsGetApi.as_view(), name="admin-analytics-handoff"),
    path("experiments", apis.ExperimentListApi.as_view(), name="admin-experiments"),
    path("experiments/<int:experiment_id>", apis.ExperimentGetApi.as_view(), name="admin-experiment"),
]
