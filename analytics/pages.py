"""The operators' dashboard page: a shell; dashboard.js reads the staff API and draws SVG charts."""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

from actions.types import REGISTRY
from analytics.models import EventDailyTypeRollup


@method_decorator(staff_member_required, name="dispatch")
class DashboardPageView(TemplateView):
    template_name = "analytics/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        seen = EventDailyTypeRollup.objects.exclude(action_type="").values_list("action_type", flat=True).distinct()
        context.update(
            shop_name=settings.PARLEY_SHOP_NAME,
            action_types=sorted(set(REGISTRY) | set(seen[:50])),
            endpoints={
                "dashboard": reverse("admin-dashboard"),
                "funnel": reverse("admin-analytics-funnel"),
            },
        )
        return context
