"""The operator inbox page: a shell; operator.js talks to /ws/operators/ and the APIs below."""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

from conversations.enums import InboxView
from conversations.inbox.selectors import QUERY_MAX_LENGTH
from conversations.services.notes import NOTE_MAX_LENGTH


@method_decorator(staff_member_required, name="dispatch")
class OperatorInboxPageView(TemplateView):
    """Staff only; anyone else is sent to the admin login and back here."""

    template_name = "operator/inbox.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            shop_name=settings.PARLEY_SHOP_NAME,
            endpoints={
                "socket": "/ws/operators/",
                "pending": reverse("actions-pending"),
                "decided": reverse("actions-decided"),
                # operator.js appends "<action id>/feedback".
                "actions": "/api/actions/",
                "conversations": reverse("operator-conversations"),
                # operator.js appends "<conversation id>/claim", "/messages", "/notes", …
                "operator": "/api/operator/",
            },
            views=[{"value": value, "label": label} for value, label in InboxView.choices],
            # ?view=waiting (the admin's landing page links there); anything else: all open.
            default_view=self.request.GET.get("view")
            if self.request.GET.get("view") in InboxView.values
            else InboxView.OPEN,
            search_max_length=QUERY_MAX_LENGTH,
            message_max_length=settings.PARLEY_MESSAGE_MAX_LENGTH,
            note_max_length=NOTE_MAX_LENGTH,
        )
        return context
