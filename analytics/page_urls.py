from django.urls import path

from analytics.pages import DashboardPageView

urlpatterns = [
    path("", DashboardPageView.as_view(), name="analytics-dashboard"),
]
