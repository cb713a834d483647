from django.contrib import admin

from encaisse.audit.admin import AuditedAdmin

from .models import Dispute, PenaltyClaim, PromiseToPay, ReferenceRate


@admin.register(ReferenceRate)
class ReferenceRateAdmin(AuditedAdmin):
    """Support staff add each half-year's rates here (logged): penalties refuse a day that
    no row covers rather than guess. The ECB rate can also be read from the ECB by
    `encaisse rates update`; the legal interest rates are entered here, with the arrêté
    as their source. Rows with a company (the demo's fictitious values) are shown as
    such."""

    list_display = ["kind", "valid_from", "rate", "source", "company", "is_demo"]
    list_filter = ["kind", "is_demo", "company"]
    search_fields = ["source"]
    date_hierarchy = "valid_from"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Disputes, promises and penalty claims change through the services only (checks,
    audit records)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "company", "customer", "invoice", "amount", "status", "opened_on"]
    list_filter = ["company", "status", "category"]
    search_fields = ["customer__legal_name", "invoice__number"]


@admin.register(PromiseToPay)
class PromiseToPayAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "company", "customer", "amount", "promised_on", "due_by"]
    list_filter = ["company", "channel"]
    search_fields = ["customer__legal_name", "promised_by"]


@admin.register(PenaltyClaim)
class PenaltyClaimAdmin(ReadOnlyAdmin):
    list_display = [
        "invoice",
        "company",
        "kind",
        "as_of",
        "penalties",
        "recovery_fee",
        "penalty_invoice",
        "created_at",
    ]
    list_filter = ["company", "kind"]
    search_fields = ["invoice__number", "penalty_invoice__number", "reason"]
