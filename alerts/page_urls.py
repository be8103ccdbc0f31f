from django.urls import path

from alerts import pages

urlpatterns = [
    path("confirm/<str:token>", pages.AlertConfirmPage.as_view(), name="alerts-confirm"),
    path("unsubscribe/<str:token>", pages.AlertUnsubscribePage.as_view(), name="alerts-unsubscribe"),
]
