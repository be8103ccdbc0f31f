"""The public catalogue API: search, product pages, a model's parts, compatibility checks."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors
from catalog.enums import CompatibilityLevel
from catalog.exceptions import ApplianceModelNotFound, ProductNotFound
from catalog.serializers import (
    ApplianceModelSummarySerializer,
    ProductCardSerializer,
    ProductDetailSerializer,
    appliance_model_summary,
    compatibility_answer,
    product_card,
    product_detail,
)
from core.schema import ErrorSerializer


class PublicCatalogApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class ProductSearchApi(PublicCatalogApi):
    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=200, trim_whitespace=True)
        limit = serializers.IntegerField(min_value=1, max_value=50, default=10)

    @extend_schema_serializer(component_name="ProductSearchOutput")
    class OutputSerializer(serializers.Serializer):
        query = serializers.CharField()
        results = inline_serializer(
            "ProductSearchResult",
            {**ProductCardSerializer().get_fields(), "match": serializers.CharField()},
            many=True,
        )

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OutputSerializer, 400: ErrorSerializer},
        tags=["catalog"],
        summary="Search parts: PS number, part number or model number first, then words",
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data["q"]
        products = selectors.product_search(query=query, limit=params.validated_data["limit"])
        results = [{**product_card(p), "match": getattr(p, "match", "")} for p in products]
        return Response(self.OutputSerializer({"query": query, "results": results}).data)


class ProductDetailApi(PublicCatalogApi):
    @extend_schema(
        responses={200: ProductDetailSerializer, 404: ErrorSerializer},
        tags=["catalog"],
        summary="A part by PS number (or manufacturer part number)",
    )
    def get(self, request, ps_number: str):
        product = selectors.product_get(ps_number=ps_number)
        if product is None:
            raise ProductNotFound(f"No part {ps_number} in the catalogue.")
        return Response(ProductDetailSerializer(product_detail(product)).data)


class ApplianceModelPartsApi(PublicCatalogApi):
    class InputSerializer(serializers.Serializer):
        limit = serializers.IntegerField(min_value=1, max_value=200, default=50)
        offset = serializers.IntegerField(min_value=0, default=0)

    @extend_schema_serializer(component_name="ApplianceModelPartsOutput")
    class OutputSerializer(serializers.Serializer):
        model = ApplianceModelSummarySerializer()
        count = serializers.IntegerField()
        parts = inline_serializer(
            "ApplianceModelPart",
            {**ProductCardSerializer().get_fields(), "confidence": serializers.FloatField()},
            many=True,
        )

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OutputSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        tags=["catalog"],
        summary="Parts that fit an appliance model, in stock first",
    )
    def get(self, request, model_number: str):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        model = selectors.appliance_model_get(model_number=model_number)
        if model is None:
            raise ApplianceModelNotFound(f"No appliance model {model_number} in the catalogue.")
        count, parts = selectors.appliance_model_parts(
            appliance_model=model, limit=params.validated_data["limit"], offset=params.validated_data["offset"]
        )
        answer = {
            "model": appliance_model_summary(model),
            "count": count,
            "parts": [{**product_card(p), "confidence": p.confidence} for p in parts],
        }
        return Response(self.OutputSerializer(answer).data)


class CompatibilityCheckApi(PublicCatalogApi):
    class InputSerializer(serializers.Serializer):
        psNumber = serializers.CharField(max_length=64)
        modelNumber = serializers.CharField(max_length=64)

    @extend_schema_serializer(component_name="CompatibilityCheckOutput")
    class OutputSerializer(serializers.Serializer):
        psNumber = serializers.CharField()
        modelNumber = serializers.CharField()
        compatible = serializers.ChoiceField(choices=CompatibilityLevel.choices)
        confidence = serializers.FloatField()
        product = ProductCardSerializer()
        model = ApplianceModelSummarySerializer(allow_null=True)

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OutputSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        tags=["catalog"],
        summary="Does a part fit a model? yes / no / unknown, with confidence",
        description="An unknown model number answers `unknown` (model null); an unknown part is a 404.",
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        answer = compatibility_answer(
            ps_number=params.validated_data["psNumber"], model_number=params.validated_data["modelNumber"]
        )
        return Response(self.OutputSerializer(answer).data)
