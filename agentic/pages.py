"""The buyer's order page behind an ACP order's `permalink_url` (a signed link, no login)."""

from django.http import Http404
from django.views.generic import TemplateView

from agentic.selectors import order_number_from_token
from checkout.models import Order


class OrderStatusPageView(TemplateView):
    template_name = "agentic/order.html"

    def get_context_data(self, **kwargs):
        number = order_number_from_token(token=kwargs["token"])
        order = Order.objects.prefetch_related("lines", "refunds").filter(number=number).first() if number else None
        if order is None:
            raise Http404("No such order")
        return {**super().get_context_data(**kwargs), "order": order}
