"""ChatGPT custom actions: a small curated OpenAPI document and the thin endpoints it names.

`GET /api/gpt/openapi.json` is what a GPT imports (public). Every operation behind it needs
`Authorization: Bearer <agent platform API key>` (the same keys as the ACP API). The
endpoints call the catalogue, checkout and alerts services the chat uses; errors are
Parley's usual `{"error": {"code", "detail", "fields"}}`.
"""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from agentic.exceptions import AcpError
from agentic.models import AgentPlatform
from agentic.services.auth import platform_authenticate
from agentic.services.checkout_links import checkout_link_create
from alerts.services.subscriptions import back_in_stock_subscribe
from catalog import selectors as catalog
from catalog.exceptions import ProductNotFound
from catalog.serializers import compatibility_answer, product_card, product_detail
from core.ids import new_id
from core.ratelimit import client_address


class AgentPlatformKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        try:
            platform = platform_authenticate(authorization=request.headers.get("Authorization", ""))
        except AcpError as exc:
            raise AuthenticationFailed(exc.message, code=exc.code) from exc
        return AnonymousUser(), platform

    def authenticate_header(self, request):
        return 'Bearer realm="gpt"'


class IsAgentPlatform(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, AgentPlatform)


class GptApi(APIView):
    authentication_classes = [AgentPlatformKeyAuthentication]
    permission_classes = [IsAgentPlatform]
    schema = None  # described by the curated document below, not by /api/schema/


class GptPartSearchApi(GptApi):
    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=200)
        limit = serializers.IntegerField(min_value=1, max_value=20, default=5)

    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        products = catalog.product_search(query=params.validated_data["q"], limit=params.validated_data["limit"])
        return Response({"query": params.validated_data["q"], "results": [product_card(p) for p in products]})


class GptPartDetailApi(GptApi):
    def get(self, request, ps_number: str):
        product = catalog.product_get(ps_number=ps_number)
        if product is None:
            raise ProductNotFound(f"No part {ps_number} in the catalogue.")
        return Response(product_detail(product))


class GptCompatibilityApi(GptApi):
    class InputSerializer(serializers.Serializer):
        psNumber = serializers.CharField(max_length=64)
        modelNumber = serializers.CharField(max_length=64)

    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(
            compatibility_answer(
                ps_number=params.validated_data["psNumber"], model_number=params.validated_data["modelNumber"]
            )
        )


class GptCheckoutStartApi(GptApi):
    class InputSerializer(serializers.Serializer):
        class LineSerializer(serializers.Serializer):
            psNumber = serializers.CharField(max_length=64)
            quantity = serializers.IntegerField(min_value=1, max_value=1000, default=1)

        items = LineSerializer(many=True, allow_empty=False, max_length=20)
        email = serializers.EmailField(required=False)
        discountCode = serializers.CharField(max_length=40, required=False, allow_blank=True)

    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        platform: AgentPlatform = request.auth
        return Response(
            checkout_link_create(
                channel=f"gpt:{platform.slug}",
                items=[(line["psNumber"], line["quantity"]) for line in values["items"]],
                idempotency_key=new_id("gpt"),
                email=values.get("email", ""),
                discount_code=values.get("discountCode", ""),
            ),
            status=status.HTTP_201_CREATED,
        )


class GptAlertSubscribeApi(GptApi):
    class InputSerializer(serializers.Serializer):
        psNumber = serializers.CharField(max_length=32)
        email = serializers.EmailField()

    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = back_in_stock_subscribe(
            ps_number=data.validated_data["psNumber"],
            channel="email",
            contact=data.validated_data["email"],
            ip=client_address(request),
        )
        # An address typed into a chat is not proven to be the user's: the same answer whether or
        # not it was already subscribed (alerts' own API does the same).
        return Response(
            {
                "subscriptionId": result.subscription.id,
                "status": "pending",
                "psNumber": result.subscription.product.ps_number,
            },
            status=status.HTTP_202_ACCEPTED,
        )


# --- the curated OpenAPI document ----------------------------------------------------------

_ERROR = {"$ref": "#/components/schemas/Error"}
_PART = {"$ref": "#/components/schemas/PartCard"}


def _err(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def gpt_openapi_document() -> dict:
    shop = settings.PARLEY_SHOP_NAME
    scope = " and ".join(settings.PARLEY_SHOP_SCOPE)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{shop} — parts, fit checks, checkout and stock alerts",
            "version": "1.0.0",
            "description": (
                f"Actions for {shop}, a shop selling {scope} parts. Use them to find parts, "
                "check whether a part fits the user's appliance model, give the user a checkout link, "
                "and sign the user up for an email when a part is back in stock. Prices, stock and fit "
                "come only from these actions: never guess them."
            ),
        },
        "servers": [{"url": settings.PARLEY_PUBLIC_URL.rstrip("/")}],
        "security": [{"apiKey": []}],
        "paths": {
            "/api/gpt/parts/search": {
                "get": {
                    "operationId": "searchParts",
                    "summary": "Search the parts catalogue",
                    "description": (
                        "Find parts by PS number (PS11750057), maker's part number, model number (WDT780SAEM1) "
                        "or words ('dishwasher rack wheel', 'ice maker not working'). Returns up to `limit` parts "
                        "with price and stock. Call it first when the user has not named an exact part."
                    ),
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            "description": "What the user is looking for, in their words or as a part/model number.",
                            "schema": {"type": "string", "maxLength": 200},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "description": "How many parts to return (1-20, default 5).",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "Matching parts, best first.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "query": {"type": "string"},
                                            "results": {"type": "array", "items": _PART},
                                        },
                                        "required": ["query", "results"],
                                    }
                                }
                            },
                        },
                        "400": _err("The query is missing or too long."),
                        "401": _err("The API key is missing or wrong."),
                    },
                }
            },
            "/api/gpt/parts/{psNumber}": {
                "get": {
                    "operationId": "getPart",
                    "summary": "Get one part's details",
                    "description": (
                        "Full details of a part by its PS number (or manufacturer part number): price, stock "
                        "quantity, description, brand, appliance type and installation steps, difficulty, time "
                        "and tools. Use it to answer questions about a specific part or how to install it."
                    ),
                    "parameters": [
                        {
                            "name": "psNumber",
                            "in": "path",
                            "required": True,
                            "description": "The part's PS number, e.g. PS11750057.",
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The part.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PartDetail"}}},
                        },
                        "401": _err("The API key is missing or wrong."),
                        "404": _err("No such part in the catalogue."),
                    },
                }
            },
            "/api/gpt/compatibility": {
                "get": {
                    "operationId": "checkCompatibility",
                    "summary": "Check whether a part fits an appliance model",
                    "description": (
                        "Answers yes, no or unknown, with a confidence from 0 to 1, for a part and the model "
                        "number printed on the user's appliance (usually inside the door or on the frame). "
                        "Always check before recommending a part for a model; say 'unknown' honestly."
                    ),
                    "parameters": [
                        {
                            "name": "psNumber",
                            "in": "query",
                            "required": True,
                            "description": "The part's PS number.",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "modelNumber",
                            "in": "query",
                            "required": True,
                            "description": "The appliance's model number, e.g. WDT780SAEM1.",
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The fit.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "psNumber": {"type": "string"},
                                            "modelNumber": {"type": "string"},
                                            "compatible": {"type": "string", "enum": ["yes", "no", "unknown"]},
                                            "confidence": {"type": "number"},
                                            "product": _PART,
                                            "model": {"type": ["object", "null"]},
                                        },
                                    }
                                }
                            },
                        },
                        "400": _err("A parameter is missing."),
                        "401": _err("The API key is missing or wrong."),
                        "404": _err("No such part."),
                    },
                }
            },
            "/api/gpt/checkout": {
                "post": {
                    "operationId": "startCheckout",
                    "summary": "Create a checkout link for parts",
                    "description": (
                        "Creates a checkout for the parts and quantities; returns `checkoutUrl`. Call it only after "
                        "the user confirmed parts, quantities and total. Give them the link: you cannot pay for "
                        "them. An out-of-stock part is refused: explain it and offer the back-in-stock alert."
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "items": {
                                            "type": "array",
                                            "minItems": 1,
                                            "maxItems": 20,
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "psNumber": {"type": "string"},
                                                    "quantity": {"type": "integer", "minimum": 1, "default": 1},
                                                },
                                                "required": ["psNumber"],
                                            },
                                        },
                                        "email": {
                                            "type": "string",
                                            "format": "email",
                                            "description": "The user's email for the receipt, if they gave it.",
                                        },
                                        "discountCode": {
                                            "type": "string",
                                            "description": "A discount code the user gave, if any.",
                                        },
                                    },
                                    "required": ["items"],
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "The checkout link and what it charges.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "checkoutUrl": {"type": "string", "format": "uri"},
                                            "sessionId": {"type": "string"},
                                            "expiresAt": {"type": "string", "format": "date-time"},
                                            "currency": {"type": "string"},
                                            "subtotal": {"type": "string"},
                                            "discount": {"type": "string"},
                                            "total": {"type": "string"},
                                            "lines": {"type": "array", "items": {"type": "object"}},
                                        },
                                        "required": ["checkoutUrl", "sessionId", "total", "currency"],
                                    }
                                }
                            },
                        },
                        "400": _err("Invalid items, quantity over the limit, or a discount code that does not apply."),
                        "401": _err("The API key is missing or wrong."),
                        "409": _err("A part is out of stock or not sold here."),
                    },
                }
            },
            "/api/gpt/alerts/back-in-stock": {
                "post": {
                    "operationId": "subscribeBackInStockAlert",
                    "summary": "Email the user when a part is back in stock",
                    "description": (
                        "Signs the user's email up for one message when an out-of-stock part is available "
                        "again. Ask for the user's email and permission first. The user may have to confirm "
                        "by clicking a link in an email (status `pending`). A part that is in stock is refused: "
                        "offer startCheckout instead."
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "psNumber": {"type": "string"},
                                        "email": {"type": "string", "format": "email"},
                                    },
                                    "required": ["psNumber", "email"],
                                }
                            }
                        },
                    },
                    "responses": {
                        "202": {
                            "description": "Received (the same answer whether or not it was subscribed already).",
                            "content": {"application/json": {"schema": _ALERT}},
                        },
                        "400": _err("The email is not valid."),
                        "401": _err("The API key is missing or wrong."),
                        "404": _err("No such part."),
                        "409": _err("The part is in stock: buy it now instead."),
                        "429": _err("Too many sign-ups; try later."),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "PartCard": {
                    "type": "object",
                    "properties": {
                        "psNumber": {"type": "string"},
                        "name": {"type": "string"},
                        "price": {"type": "string", "description": "Decimal string, e.g. 24.99"},
                        "currency": {"type": "string"},
                        "inStock": {"type": "boolean"},
                        "availability": {"type": "string"},
                        "imageUrl": {"type": "string"},
                    },
                },
                "PartDetail": {
                    "allOf": [
                        _PART,
                        {
                            "type": "object",
                            "properties": {
                                "description": {"type": "string"},
                                "brand": {"type": "string"},
                                "applianceType": {"type": "string"},
                                "stockQuantity": {"type": "integer"},
                                "installSteps": {"type": "array", "items": {"type": "string"}},
                                "installDifficulty": {"type": ["string", "null"]},
                                "installTimeMinutes": {"type": ["integer", "null"]},
                                "installTools": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                    ]
                },
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "detail": {"type": "string", "description": "Explain this to the user."},
                                "fields": {"type": "object"},
                            },
                        }
                    },
                },
            },
        },
    }


_ALERT = {
    "type": "object",
    "properties": {
        "subscriptionId": {"type": "string"},
        "status": {
            "type": "string",
            "description": "pending: if the address was not subscribed yet, the user confirms by a link in an email",
        },
        "psNumber": {"type": "string"},
    },
}


class GptOpenApiDocumentApi(APIView):
    """The document a GPT's "Import from URL" reads (public: it describes, it does not give access)."""

    authentication_classes: list = []
    permission_classes: list = []
    schema = None

    def get(self, request):
        return Response(gpt_openapi_document())
