from django.contrib import admin

from encaisse.audit.admin import AuditedAdmin

from .models import Company, Membership, NumberSequence


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Company)
class CompanyAdmin(AuditedAdmin):
    list_display = ["legal_name", "siren", "city"]
    search_fields = ["legal_name", "siren"]
    inlines = [MembershipInline]


@admin.register(NumberSequence)
class NumberSequenceAdmin(admin.ModelAdmin):
    """Read-only: a series moves only when a document is issued."""

    list_display = ["company", "document_type", "year", "last_number", "last_date"]
    list_filter = ["company", "document_type", "year"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
