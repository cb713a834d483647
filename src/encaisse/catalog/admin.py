from django.contrib import admin

from encaisse.audit.admin import AuditedAdmin

from .models import Product


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    list_display = ["reference", "label", "company", "kind", "unit_price", "vat_rate", "is_active"]
    list_filter = ["company", "kind", "vat_rate", "is_active"]
    search_fields = ["reference", "label"]
