from django.urls import path

from checkout.pages import TestCheckoutPageView

urlpatterns = [
    path("test/<str:session_id>/", TestCheckoutPageView.as_view(), name="test-checkout-page"),
]
