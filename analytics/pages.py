"""The operators' dashboard page: a shell; dashboard.js reads the staff API and draws SVG charts."""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

from actions.types import REGISTRY
from analytics.models import EventDailyTypeRollup
from analytics.selectors.experiments import experiments_list


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


@method_decorator(staff_member_required, name="dispatch")
class ExperimentsPageView(TemplateView):
    """The experiments' results: a shell; experiments.js reads GET /api/admin/experiments/{id}."""

    template_name = "analytics/experiments.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        experiments = experiments_list()
        ids = [e["id"] for e in experiments]
        wanted = self.request.GET.get("experiment", "")
        selected = int(wanted) if wanted.isdigit() and int(wanted) in ids else (ids[0] if ids else None)
        context.update(
            shop_name=settings.PARLEY_SHOP_NAME,
            experiments=experiments,
            selected=selected,
            report_url=reverse("admin-experiment", args=[selected]) if selected else "",
        )
        return context
