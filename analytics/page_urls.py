from django.urls import path

from analytics.pages import DashboardPageView, ExperimentsPageView

urlpatterns = [
    path("", DashboardPageView.as_view(), name="analytics-dashboard"),
    path("experiments/", ExperimentsPageView.as_view(), name="analytics-experiments"),
]
