"""The operator inbox page: a shell; operator.js talks to /ws/operators/ and the feedback API."""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

OPERATOR_ENDPOINTS = {
    "socket": "/ws/operators/",
    "pending": "/api/actions/pending",
    # operator.js appends "<action id>/feedback".
    "actions": "/api/actions/",
}


@method_decorator(staff_member_required, name="dispatch")
class OperatorInboxPageView(TemplateView):
    """Staff only; anyone else is sent to the admin login and back here."""

    template_name = "operator/inbox.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(shop_name=settings.PARLEY_SHOP_NAME, endpoints=OPERATOR_ENDPOINTS)
        return context
