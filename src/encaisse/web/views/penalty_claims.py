"""The penalty block of the invoice page: the table as of today, what is still to claim,
the forms that invoice the penalties or waive them, and the past claims and waivers."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from encaisse.collection import claims as services
from encaisse.collection.models import PenaltyClaim
from encaisse.collection.penalties import penalties as penalty_table
from encaisse.companies.permissions import COLLECT, EDIT_INVOICES, ISSUE_INVOICES, can
from encaisse.errors import DomainError
from encaisse.legal import LatePaymentRegime, late_payment_regime
from encaisse.money import format_eur
from encaisse.sales.models import Invoice

from ..forms import date_field, text
from ..shortcuts import add_domain_error, company_view


class PenaltyInvoiceForm(forms.Form):
    prefix = "penalty"
    as_of = date_field("Pénalités arrêtées au")


class WaiverForm(forms.Form):
    prefix = "waiver"
    as_of = date_field("Pénalités arrêtées au")
    reason = text("Motif de la renonciation", of=PenaltyClaim.reason)


def invoice_context(request, invoice: Invoice) -> dict:
    """The penalty block's context: the engine's table as of today (a missing reference
    rate shown as the error it is), what is still to claim, the forms the user may use
    (bound, with their errors, after a refused POST) and the past claims. A consumer's
    block shows the interest at the legal rate since the formal notice (or that none runs
    before it), and never offers a penalty invoice."""
    if not invoice.is_issued or invoice.is_credit_note:
        return {}
    # A penalty invoice shows the late invoices it claims for, and bears no penalties.
    penalty_of = list(invoice.penalty_claimed.select_related("invoice"))
    if penalty_of:
        return {"penalty_of": penalty_of}
    today = timezone.localdate()
    consumer = late_payment_regime(invoice) is LatePaymentRegime.CONSUMER
    past = list(services.claims(invoice))
    context = {"penalty_claims": past, "penalty_consumer": consumer}
    try:
        table = penalty_table(invoice, today)
    except DomainError as exc:
        context["penalties_error"] = exc.message
        table = None
    if table is not None and table.late:
        context["penalty_table"] = table
        due = services.outstanding(invoice, today, table=table)
        context["penalties_due"] = due
        context["penalties_claimed"] = table.total - due.total
    bound = getattr(request, "penalty_forms", {})
    # A missing rate for today still lets the user claim up to an earlier day.
    open_ = table is None or bool(context.get("penalties_due") and context["penalties_due"].total)
    initial = {"as_of": today}
    user, company = request.user, request.company
    if "invoice" in bound:
        context["penalty_invoice_form"] = bound["invoice"]
    elif (
        open_
        and not consumer
        and can(user, company, ISSUE_INVOICES)
        and can(user, company, EDIT_INVOICES)
    ):
        context["penalty_invoice_form"] = PenaltyInvoiceForm(initial=initial)
    if "waiver" in bound:
        context["penalty_waiver_form"] = bound["waiver"]
    elif open_ and can(user, company, COLLECT):
        context["penalty_waiver_form"] = WaiverForm(initial=initial)
        if consumer:
            context["penalty_waiver_form"].fields["as_of"].label = "Intérêts arrêtés au"
    return context


def _invoice(request, pk) -> Invoice:
    return get_object_or_404(Invoice, pk=pk, company=request.company)


def _refused(request, pk, key: str, form):
    """The invoice page again, the form bound with its errors next to its fields."""
    from .invoices import invoice_detail  # the page this block belongs to

    request.penalty_forms = {key: form}
    response = invoice_detail(request, pk)
    response.status_code = 422
    return response


@require_POST
@company_view(needs=ISSUE_INVOICES)
def penalty_invoice(request, pk):
    invoice = _invoice(request, pk)
    form = PenaltyInvoiceForm(request.POST)
    if form.is_valid():
        try:
            issued = services.invoice_penalties(
                request.company,
                [invoice],
                form.cleaned_data["as_of"] or timezone.localdate(),
                by=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"Facture de pénalités {issued.number} émise pour "
                f"{format_eur(issued.total_incl_vat)} (hors champ de la TVA).",
            )
            return redirect("web:invoice_detail", pk=issued.pk)
    return _refused(request, pk, "invoice", form)


@require_POST
@company_view(needs=COLLECT)
def penalty_waiver(request, pk):
    invoice = _invoice(request, pk)
    form = WaiverForm(request.POST)
    if form.is_valid():
        try:
            claim = services.waive_penalties(
                invoice,
                form.cleaned_data["as_of"] or timezone.localdate(),
                form.cleaned_data["reason"],
                by=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"Renonciation enregistrée : {format_eur(claim.total)} de pénalités et "
                f"indemnité au {claim.as_of:%d/%m/%Y} ne seront pas réclamés.",
            )
            return redirect("web:invoice_detail", pk=invoice.pk)
    return _refused(request, pk, "waiver", form)
