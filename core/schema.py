"""OpenAPI component names for the house style's nested `InputSerializer` / `OutputSerializer`.

Without this every view's nested serializers would collide as "Input" and "Output"; here
`CheckoutSessionCreateApi.InputSerializer` becomes `CheckoutSessionCreateInput`.
"""

from drf_spectacular.openapi import AutoSchema


class ParleyAutoSchema(AutoSchema):
    def _get_serializer_name(self, serializer, direction, bypass_extensions=False):
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        qualname = type(serializer).__qualname__
        if "." in qualname:
            owner, inner = qualname.rsplit(".", 1)
            owner = owner.rsplit(".", 1)[-1].removesuffix("Api").removesuffix("View")
            name = owner + inner.removesuffix("Serializer")
        return name
