"""Admin building blocks every app's admin shares.

The admin's theme is django-unfold: every app's admin classes derive from the `ModelAdmin`,
`TabularInline` and `StackedInline` named here (unfold's), so the theme is chosen in one place.
The third-party admins (users and groups, API tokens, login lockouts) are registered again on
the same bases at the bottom of this module.
"""

import json

from django.conf import settings
from django.contrib.admin.utils import quote
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, StackedInline, TabularInline

__all__ = [
    "ModelAdmin",
    "ReadOnlyAdminMixin",
    "StackedInline",
    "TabularInline",
    "admin_link",
    "pretty_json",
    "site_title",
    "stylesheet",
]


def site_title(request) -> str:
    """The admin's title and header (unfold's SITE_TITLE / SITE_HEADER): the shop's name."""
    return settings.PARLEY_SHOP_NAME


def stylesheet(request) -> str:
    """Parley's additions to the theme (unfold's STYLES): the landing page, the JSON panels."""
    return static("parley/admin.css")


def pretty_json(value) -> str:
    """JSON as an escaped <pre> block (format_html escapes the text)."""
    return format_html('<pre class="parley-json">{}</pre>', json.dumps(value, indent=2, sort_keys=True, default=str))


def admin_link(viewname: str, pk, label=None) -> str:
    """A link to another object's change page, or a dash when there is none."""
    if not pk:
        return "—"
    # quote(): the admin's own escaping of primary keys in URLs ("_22" in an id would
    # otherwise be read back as a quotation mark).
    return format_html('<a href="{}">{}</a>', reverse(viewname, args=[quote(pk)]), label if label is not None else pk)


class ReadOnlyAdminMixin:
    """View only: rows are written by services and are part of an audit trail."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Registered here so the admin's autodiscovery (which imports `core.admin`) finds them.
from core import admin_thirdparty as _thirdparty  # noqa: E402, F401
from core.outbox import admin as _outbox_admin  # noqa: E402, F401
