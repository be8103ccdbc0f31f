from django.urls import path

from catalog.apis import ApplianceModelPartsApi, CompatibilityCheckApi, ProductDetailApi, ProductSearchApi

app_name = "catalog"

urlpatterns = [
    path("search", ProductSearchApi.as_view(), name="search"),
    path("products/<str:ps_number>", ProductDetailApi.as_view(), name="product-detail"),
    path("models/<str:model_number>/parts", ApplianceModelPartsApi.as_view(), name="model-parts"),
    path("compatibility", CompatibilityCheckApi.as_view(), name="compatibility"),
]
