"""Django's, DRF's and django-axes' own admins, registered again on the theme's bases.

Their admin modules are imported here first (whatever the order of INSTALLED_APPS), then each
model is registered again with a class deriving from both the library's admin (its columns,
filters and forms) and unfold's `ModelAdmin` (its templates and widgets).
"""

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken import admin as token_admin
from rest_framework.authtoken.models import TokenProxy
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm


def _register_again(model, admin_class) -> None:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, admin_class)


class UserAdmin(auth_admin.UserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm


class GroupAdmin(auth_admin.GroupAdmin, ModelAdmin):
    pass


class TokenAdmin(token_admin.TokenAdmin, ModelAdmin):
    pass


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin, ModelAdmin):
    pass


class AccessLogAdmin(axes_admin.AccessLogAdmin, ModelAdmin):
    pass


class AccessFailureLogAdmin(axes_admin.AccessFailureLogAdmin, ModelAdmin):
    pass


_register_again(get_user_model(), UserAdmin)
_register_again(Group, GroupAdmin)
_register_again(TokenProxy, TokenAdmin)
if settings.AXES_ENABLE_ADMIN:
    _register_again(AccessAttempt, AccessAttemptAdmin)
    _register_again(AccessLog, AccessLogAdmin)
    _register_again(AccessFailureLog, AccessFailureLogAdmin)
