"""The OpenAPI schema's house rules: component names for the nested `InputSerializer` /
`OutputSerializer` (without this every view's would collide as "Input" and "Output"; here
`CheckoutSessionCreateApi.InputSerializer` becomes `CheckoutSessionCreateInput`), and the one
error shape (`ErrorSerializer`) documented on every operation.
"""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ParleyAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        # Every operation answers errors in the one shape (core.exceptions.api_exception_handler):
        # those it lists say when; `default` says what any other error looks like.
        responses = super()._get_response_bodies(direction)
        if direction == "response" and "default" not in responses:
            responses["default"] = self._get_response_for_code(
                ErrorSerializer, "default", media_types=["application/json"], direction=direction
            )
        return responses

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False):
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        qualname = type(serializer).__qualname__
        if "." in qualname:
            owner, inner = qualname.rsplit(".", 1)
            owner = owner.rsplit(".", 1)[-1].removesuffix("Api").removesuffix("View")
            name = owner + inner.removesuffix("Serializer")
        return name


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable and machine-readable (e.g. `out_of_stock`): branch on this.")
    detail = serializers.CharField(help_text="For people: what went wrong and what to do.")
    fields = serializers.DictField(help_text="Per-field messages for invalid input; empty otherwise.")


class ErrorSerializer(serializers.Serializer):
    """The one error answer of every API, `{"error": {"code", "detail", "fields"}}`, as
    `core.exceptions.api_exception_handler` writes it: views document their errors with this."""

    error = ErrorDetailSerializer()
