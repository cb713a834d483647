from django.contrib import admin

from .models import Invoice, InvoiceAllowance, InvoiceLine


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fk_name = "invoice"
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InvoiceAllowanceInline(InvoiceLineInline):
    model = InvoiceAllowance


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """View only: invoices change through the services (drafts) or not at all (issued)."""

    list_display = ["__str__", "company", "customer", "status", "issue_date", "total_incl_vat"]
    list_filter = ["company", "kind", "status"]
    search_fields = ["number", "customer__legal_name"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline, InvoiceAllowanceInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
