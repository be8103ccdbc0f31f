import secrets

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldAdminSelectWidget

from catalog.enums import Availability
from catalog.error_codes import CatalogErrorCode
from catalog.exceptions import CatalogImportError
from catalog.models import ApplianceModel, Compatibility, Product, Symptom
from catalog.services.import_files import catalog_file_format_guess, catalog_file_import
from catalog.services.stock import product_stock_set
from core.admin import ModelAdmin, TabularInline

# How many rejected rows the import page lists (the command lists them all).
IMPORT_REPORT_ROWS = 500
# How long a checked upload waits for its "Import" click.
IMPORT_HOLD_SECONDS = 3600


class CatalogImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV, JSON or a Google Merchant Center feed (TSV or XML).",
        widget=UnfoldAdminFileFieldWidget,
    )
    file_format = forms.ChoiceField(
        label="Format",
        choices=[("", "From the file name"), ("csv", "CSV"), ("json", "JSON"), ("gmc", "Merchant Center feed")],
        required=False,
        widget=UnfoldAdminSelectWidget,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.PARLEY_CATALOG_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the page takes up to {limit:,} "
                "(larger catalogues: manage.py import_catalog).",
                code=CatalogErrorCode.IMPORT_FILE_TOO_LARGE,
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            cleaned["file_format"] = cleaned.get("file_format") or catalog_file_format_guess(upload.name or "")
            if not cleaned["file_format"]:
                raise forms.ValidationError(
                    "The file name does not say its format (.csv, .json, .tsv, .txt, .xml): choose one.",
                    code=CatalogErrorCode.IMPORT_UNKNOWN_FORMAT,
                )
        return cleaned


class CompatibilityInline(TabularInline):
    model = Compatibility
    extra = 0
    autocomplete_fields = ["appliance_model"]
    fields = ["appliance_model", "confidence", "source"]
    show_change_link = True


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    change_list_template = "admin/catalog/product/change_list.html"
    list_display = ["ps_number", "name", "brand", "appliance_type", "price", "stock_quantity", "availability"]
    list_filter = ["brand", "appliance_type", "backordered", "is_active"]
    search_fields = ["ps_number", "manufacturer_part_number", "name"]
    readonly_fields = ["created_at", "updated_at"]
    autocomplete_fields = ["symptoms"]
    inlines = [CompatibilityInline]
    list_per_page = 50
    show_full_result_count = False  # a 100,000-part catalogue should not COUNT(*) on every page

    def changelist_view(self, request, extra_context=None):
        can_import = self.has_add_permission(request) and self.has_change_permission(request)
        return super().changelist_view(request, {**(extra_context or {}), "can_import": can_import})

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="catalog_product_import"), *super().get_urls()]

    def import_view(self, request):
        """Upload a catalogue file, check it (dry run) and see the report, then import it.

        The checked file waits in the cache (shared by every process where there is Redis) under
        a random token bound to the user, so "Import" needs no second upload."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "Import catalogue"}
        form = CatalogImportForm()
        status = 200
        if request.method == "POST":
            token = request.POST.get("token", "")
            key = f"catalog-import:{request.user.pk}:{token}"
            if token:
                held = cache.get(key)
                # Only the request whose delete removed the key imports: two "Import" clicks at
                # once both read it, and the second is told so instead of importing it again.
                if held is None or not cache.delete(key):
                    context["error"] = "That upload is no longer held (it waits an hour): upload the file again."
                    status = 400
                else:
                    status = self._import_run(context, data=held["data"], file_format=held["format"], name=held["name"])
            else:
                form = CatalogImportForm(request.POST, request.FILES)
                if form.is_valid():
                    upload = form.cleaned_data["file"]
                    data = upload.read()
                    dry_run = "import" not in request.POST
                    status = self._import_run(
                        context,
                        data=data,
                        file_format=form.cleaned_data["file_format"],
                        name=upload.name,
                        dry_run=dry_run,
                    )
                    if dry_run and status == 200:
                        token = secrets.token_urlsafe(16)
                        held = {"data": data, "format": form.cleaned_data["file_format"], "name": upload.name}
                        cache.set(f"catalog-import:{request.user.pk}:{token}", held, IMPORT_HOLD_SECONDS)
                        context["token"] = token
                else:
                    status = 400
        context["form"] = form
        context["max_bytes"] = settings.PARLEY_CATALOG_IMPORT_MAX_BYTES
        return TemplateResponse(request, "admin/catalog/product/import.html", context, status=status)

    @staticmethod
    def _import_run(context: dict, *, data: bytes, file_format: str, name: str, dry_run: bool = False) -> int:
        context["file_name"] = name
        try:
            result = catalog_file_import(data=data, file_format=file_format, dry_run=dry_run)
        except CatalogImportError as exc:
            context["error"] = exc.detail
            context["error_code"] = exc.code
            return 400
        context["result"] = result
        context["counts"] = [
            ("Parts", result.parts),
            ("Appliance models", result.models),
            ("Compatibility", result.compatibility),
            ("Symptoms", result.symptoms),
        ]
        context["rejected"] = result.rejected[:IMPORT_REPORT_ROWS]
        context["rejected_hidden"] = max(0, len(result.rejected) - IMPORT_REPORT_ROWS)
        return 200

    @admin.display(description="Availability")
    def availability(self, obj: Product) -> str:
        return Availability(obj.availability).label

    def save_model(self, request, obj: Product, form, change):
        """Stock goes through `product_stock_set`, so `stock_changed` fires (back-in-stock alerts)."""
        new_quantity = obj.stock_quantity
        if change and "stock_quantity" in form.changed_data:
            obj.stock_quantity = form.initial.get("stock_quantity", new_quantity)
        elif not change:
            obj.stock_quantity = 0
        super().save_model(request, obj, form, change)
        product_stock_set(product=obj, quantity=new_quantity)


@admin.register(ApplianceModel)
class ApplianceModelAdmin(ModelAdmin):
    list_display = ["model_number", "brand", "appliance_type", "name"]
    list_filter = ["appliance_type", "brand"]
    search_fields = ["model_number", "name"]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False


@admin.register(Compatibility)
class CompatibilityAdmin(ModelAdmin):
    list_display = ["product", "appliance_model", "confidence", "source"]
    list_filter = ["source"]
    search_fields = ["product__ps_number", "appliance_model__model_number"]
    autocomplete_fields = ["product", "appliance_model"]
    list_select_related = ["product", "appliance_model"]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False


@admin.register(Symptom)
class SymptomAdmin(ModelAdmin):
    list_display = ["name", "slug", "appliance_type"]
    list_filter = ["appliance_type"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
