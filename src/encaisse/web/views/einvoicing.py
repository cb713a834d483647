"""E-invoicing lifecycle: the status history on the invoice page, adding a status by
hand, and importing a platform's status file."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from encaisse.companies.permissions import ISSUE_INVOICES, can
from encaisse.einvoicing import services
from encaisse.einvoicing.models import LifecycleEvent, LifecycleStatus
from encaisse.errors import DomainError
from encaisse.sales.models import Invoice

from ..forms import date_field, text
from ..shortcuts import add_domain_error, company_view

STATUS_OPTIONS = [(value, f"{value} – {label}") for value, label in LifecycleStatus.choices]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="Statut", choices=STATUS_OPTIONS)
    date = date_field("Date")
    note = text("Commentaire", of=LifecycleEvent.note)


class ImportForm(forms.Form):
    file = forms.FileField(label="Fichier CSV (numéro;statut;date;commentaire)")


def invoice_context(request, invoice: Invoice, status_form=None) -> dict:
    """The lifecycle panel of the invoice page."""
    if not invoice.is_issued:
        return {"lifecycle": None}
    return {
        "lifecycle": list(services.history(invoice)),
        "lifecycle_required": services.requires_collected(invoice),
        "status_form": status_form
        or StatusForm(initial={"date": timezone.localdate().isoformat()}),
        "can_set_status": can(request.user, request.company, ISSUE_INVOICES),
    }


@company_view(needs=ISSUE_INVOICES)
@require_POST
def invoice_status(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk, company=request.company)
    form = StatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            event = services.set_status(
                invoice, data["status"], on=data["date"], note=data["note"], by=request.user
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Statut « {event.code_and_label} » enregistré.")
            return redirect("web:invoice_detail", pk=pk)
    messages.error(
        request,
        "Statut non enregistré : "
        + " ".join(str(e) for errors in form.errors.values() for e in errors),
    )
    return redirect("web:invoice_detail", pk=pk)


@company_view(needs=ISSUE_INVOICES)
def status_import(request):
    errors = []
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.import_statuses(
                request.company, request.FILES["file"], by=request.user
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            # The summary goes next to the file field, each faulty line in the list below.
            form.add_error("file" if exc.field == "file" else None, exc.message)
            errors = [d["message"] for d in exc.details]
        else:
            text = f"{len(report.created)} statut(s) importé(s)"
            if report.duplicates:
                text += f", {report.duplicates} déjà connu(s) ignoré(s)"
            messages.success(request, text + ".")
            return redirect("web:status_import")
    return render(
        request,
        "encaisse/einvoicing/import.html",
        {
            "form": form,
            "errors": errors,
            "statuses": LifecycleStatus.choices,
            "nav": "invoices",
        },
        status=422 if form.errors else 200,
    )
