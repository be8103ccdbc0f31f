"""The operators' dashboard page: a shell; dashboard.js reads the staff API and draws its charts
(Chart.js, vendored in static/parley/vendor/chart.js/)."""

import json

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

from actions.types import REGISTRY
from analytics.models import EventDailyTypeRollup
from analytics.selectors.experiments import experiments_list


def action_type_label(code: str) -> str:
    """What an operator calls an action type ("Show compatible alternatives"), from the action
    registry; a code the registry no longer has, made readable."""
    action_type = REGISTRY.get(code)
    if action_type is not None:
        return action_type.operator_title
    words = code.replace("_", " ")
    return words[:1].upper() + words[1:]


@method_decorator(staff_member_required, name="dispatch")
class DashboardPageView(TemplateView):
    template_name = "analytics/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        seen = EventDailyTypeRollup.objects.exclude(action_type="").values_list("action_type", flat=True).distinct()
        labels = {code: action_type_label(code) for code in set(REGISTRY) | set(seen[:50])}
        context.update(
            shop_name=settings.PARLEY_SHOP_NAME,
            currency=settings.PARLEY_CURRENCY,
            # (code, what an operator calls it), by name; dashboard.js names action types the same way
            action_types=sorted(labels.items(), key=lambda item: item[1].lower()),
            action_labels_json=json.dumps(labels, sort_keys=True),
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
