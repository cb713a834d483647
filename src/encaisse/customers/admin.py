from django.contrib import admin

from encaisse.audit.admin import AuditedAdmin

from .models import Contact, Customer


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin):
    list_display = ["legal_name", "company", "kind", "siren", "billing_city"]
    list_filter = ["company", "kind"]
    search_fields = ["legal_name", "siren", "siret", "billing_city"]
    inlines = [ContactInline]
