from django.urls import path

from checkout import apis

urlpatterns = [
    path("session", apis.CheckoutSessionCreateApi.as_view(), name="checkout-session-create"),
    path("quote", apis.CheckoutQuoteApi.as_view(), name="checkout-quote"),
    path("orders/<str:number>", apis.OrderDetailApi.as_view(), name="checkout-order-detail"),
    path("orders/<str:number>/fulfilment", apis.OrderFulfilmentApi.as_view(), name="checkout-order-fulfilment"),
]
