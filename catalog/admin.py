from django.contrib import admin

from catalog.enums import Availability
from catalog.models import ApplianceModel, Compatibility, Product, Symptom
from catalog.services.stock import product_stock_set
from core.admin import ModelAdmin, TabularInline


class CompatibilityInline(TabularInline):
    model = Compatibility
    extra = 0
    autocomplete_fields = ["appliance_model"]
    fields = ["appliance_model", "confidence", "source"]
    show_change_link = True


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    list_display = ["ps_number", "name", "brand", "appliance_type", "price", "stock_quantity", "availability"]
    list_filter = ["brand", "appliance_type", "backordered", "is_active"]
    search_fields = ["ps_number", "manufacturer_part_number", "name"]
    readonly_fields = ["created_at", "updated_at"]
    autocomplete_fields = ["symptoms"]
    inlines = [CompatibilityInline]
    list_per_page = 50
    show_full_result_count = False  # a 100,000-part catalogue should not COUNT(*) on every page

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
