from django.contrib import admin

from encaisse.audit.admin import AuditedAdmin

from .models import ReferenceRate


@admin.register(ReferenceRate)
class ReferenceRateAdmin(AuditedAdmin):
    """Support staff add each half-year's rates here (logged): penalties refuse a day that
    no row covers rather than guess."""

    list_display = ["kind", "valid_from", "rate", "source"]
    list_filter = ["kind"]
    search_fields = ["source"]
    date_hierarchy = "valid_from"
