"""The admin's theme (django-unfold): every admin on its bases, every page served, its own CSP."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.admin import StackedInline, TabularInline

pytestmark = pytest.mark.django_db


def test_every_registered_admin_and_inline_uses_the_theme():
    """A stock `admin.ModelAdmin` would render unstyled forms and widgets inside the theme."""
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, UnfoldModelAdmin), f"{model._meta.label}: {type(model_admin).__name__}"
        for inline in model_admin.inlines:
            assert issubclass(inline, (TabularInline, StackedInline)), f"{model._meta.label}: {inline.__name__}"


@pytest.fixture
def superuser_client(client):
    user = get_user_model().objects.create_superuser("owner", "owner@example.com", "owner-pw-93817")
    client.force_login(user)
    return client


def test_every_list_and_add_page_is_served(superuser_client):
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        response = superuser_client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 200, model._meta.label
        if model_admin.has_add_permission(response.wsgi_request):
            assert superuser_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200, model._meta.label


def test_the_admin_has_a_csp_of_its_own_and_the_shop_keeps_the_strict_one(superuser_client):
    admin_csp = superuser_client.get("/admin/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in admin_csp.split(";"))
    # no inline scripts, nothing from another origin
    assert directives["script-src"] == "'self' 'unsafe-eval'"
    assert directives["default-src"] == "'self'" and directives["font-src"] == "'self'"
    assert "http" not in directives["script-src"] + directives["style-src"]
    shop_csp = superuser_client.get("/")["Content-Security-Policy"]
    assert "script-src 'self';" in shop_csp and "unsafe" not in shop_csp


def test_the_login_page_names_the_shop(client, settings):
    response = client.get("/admin/login/")
    assert settings.PARLEY_SHOP_NAME in response.content.decode()
