"""Pre-litigation cases (dossiers précontentieux): the list with the customers ready for
one, the form that makes the file, the case page with its documents, status forms,
events and journal entries."""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from encaisse.companies.permissions import COLLECT, can
from encaisse.customers.models import Customer
from encaisse.documents.litigation import case_filename
from encaisse.documents.responses import pdf_inline
from encaisse.dunning import litigation as services
from encaisse.dunning.models import CaseStatus, LitigationCase
from encaisse.errors import DomainError, NotFound
from encaisse.money import ZERO, format_eur
from encaisse.receivables.services.payments import parse_date

from .. import audit
from ..forms import NUMBER_MAX, date_field, text
from ..shortcuts import add_domain_error, company_view, page_of

# ---------------------------------------------------------------- forms


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Statut", required=False, choices=[("", "Tous"), *CaseStatus.choices]
    )


class OpenCaseForm(forms.Form):
    opened_on = date_field("Montants arrêtés au")
    invoices = forms.MultipleChoiceField(
        label="Factures mises en demeure", widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoices"].choices = [
            (i.pk, f"{i.number} du {i.issue_date:%d/%m/%Y} — {format_eur(i.total_incl_vat)} TTC")
            for i in invoices
        ]


class AgencyForm(forms.Form):
    agency = text("Cabinet de recouvrement", of=LitigationCase.agency)
    on = date_field("Transmis le")


class CourtForm(forms.Form):
    reference = text(
        "Référence de la procédure (requête, n° RG…)", of=LitigationCase.court_reference
    )
    on = date_field("Engagée le")


class RecoveredForm(forms.Form):
    on = date_field("Recouvré le")


class DoubtfulForm(forms.Form):
    provision_amount = text("Provision (€, au plus le HT restant dû)", max_length=NUMBER_MAX)
    on = date_field("Date de l'écriture")


class IrrecoverableForm(forms.Form):
    on = date_field("Date de la perte")


# action -> (form, status reached, button label, service call)
ACTIONS = {
    "agency": (
        AgencyForm,
        CaseStatus.AGENCY,
        "Transmettre au cabinet",
        lambda case, d, by: services.transfer_to_agency(case, d["agency"], d["on"], by=by),
    ),
    "court": (
        CourtForm,
        CaseStatus.COURT,
        "Enregistrer la procédure",
        lambda case, d, by: services.go_to_court(case, d["reference"], d["on"], by=by),
    ),
    "recovered": (
        RecoveredForm,
        CaseStatus.RECOVERED,
        "Clore : recouvré",
        lambda case, d, by: services.mark_recovered(case, d["on"], by=by),
    ),
    "doubtful": (
        DoubtfulForm,
        CaseStatus.DOUBTFUL,
        "Passer en créance douteuse",
        lambda case, d, by: services.mark_doubtful(case, d["on"], d["provision_amount"], by=by),
    ),
    "irrecoverable": (
        IrrecoverableForm,
        CaseStatus.IRRECOVERABLE,
        "Passer en perte",
        lambda case, d, by: services.write_off_irrecoverable(case, d["on"], by=by),
    ),
}


# ---------------------------------------------------------------- list


@company_view
def case_list(request):
    form = CaseFilterForm(request.GET)
    form.is_valid()
    status = form.cleaned_data.get("status") or None
    page = page_of(request, services.cases(request.company, status=status))
    return render(
        request,
        "encaisse/litigation/list.html",
        {
            "form": form,
            "page": page,
            "filtered": bool(status),
            "candidates": services.customers_ready(request.company)[:50],
            "nav": "litigation",
        },
    )


# ---------------------------------------------------------------- opening


@company_view(needs=COLLECT)
def case_open(request, customer_pk):
    customer = get_object_or_404(Customer, company=request.company, pk=customer_pk)
    current = services.open_case_of(customer)
    if current is not None:
        messages.info(request, f"Le client a déjà un dossier en cours : {current}.")
        return redirect("web:litigation_detail", pk=current.pk)
    today = timezone.localdate()
    # The preview follows the date asked for (?opened_on=), else today.
    asked = (request.POST or request.GET).get("opened_on") or ""
    try:
        as_of = min(parse_date(asked, "opened_on", "La date") if asked else today, today)
    except DomainError:
        as_of = today
    eligible = services.eligible_invoices(customer, as_of)
    form = OpenCaseForm(
        request.POST or None,
        invoices=eligible,
        initial={"opened_on": as_of, "invoices": [str(i.pk) for i in eligible]},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.open_case(
                customer,
                data["opened_on"] or today,
                by=request.user,
                invoices=[int(pk) for pk in data["invoices"]] or None,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"{case} constitué : {format_eur(case.total_claimed)} réclamés. "
                "Le PDF et les pièces (zip) sont prêts.",
            )
            return redirect("web:litigation_detail", pk=case.pk)
    lines, preview_error = [], ""
    try:
        lines = services.claim_lines(customer, eligible, as_of) if eligible else []
    except DomainError as exc:  # a missing ECB rate: said, the form stays usable
        preview_error = exc.message
    return render(
        request,
        "encaisse/litigation/open.html",
        {
            "form": form,
            "customer": customer,
            "lines": lines,
            "totals": {
                "principal": sum((x.principal for x in lines), ZERO),
                "penalties": sum((x.penalties for x in lines), ZERO),
                "fees": sum((x.recovery_fee for x in lines), ZERO),
                "total": sum((x.total for x in lines), ZERO),
            },
            "notice": services.formal_notice_of(customer, as_of),
            "as_of": as_of,
            "preview_error": preview_error,
            "nav": "litigation",
        },
        status=422 if form.errors else 200,
    )


# ---------------------------------------------------------------- the case


def _detail(request, case, forms_by_action=None, status=200):
    allowed = services.allowed_transitions(case)
    may_manage = can(request.user, request.company, COLLECT)
    may_book = can(request.user, request.company, services.WRITE_OFF)
    today = timezone.localdate()
    forms_by_action = forms_by_action or {}
    actions = []
    for name, (form_class, target, label, _call) in ACTIONS.items():
        if target not in allowed:
            continue
        books = name in ("doubtful", "irrecoverable") or (
            name == "recovered" and case.provision_amount is not None
        )
        if not may_manage or (books and not may_book):
            continue
        if name == "doubtful" and case.provision_amount is not None:
            continue
        form = forms_by_action.get(name) or form_class(
            initial={"on": today}, prefix=name, auto_id=f"id_{name}_%s"
        )
        actions.append(
            {"name": name, "label": label, "title": CaseStatus(target).label, "form": form}
        )
    invoices = list(case.invoices.order_by("issue_date", "number"))
    unpaid = services.open_by_invoice(case.company, case.customer, [i.pk for i in invoices], today)
    for invoice in invoices:
        invoice.open_today = unpaid.get(invoice.pk, ZERO)
    return render(
        request,
        "encaisse/litigation/detail.html",
        {
            "case": case,
            "invoices": invoices,
            "open_today": sum(unpaid.values(), ZERO),
            "events": case.events.select_related("by"),
            "entries": services.entries_of(case),
            "actions": actions,
            "hidden_for_role": may_manage and not may_book,
            "trail": audit.entries(case),
            "nav": "litigation",
        },
        status=status,
    )


@company_view
def case_detail(request, pk):
    return _detail(request, services.get_case(request.company, pk))


@company_view(needs=COLLECT)
@require_POST
def case_action(request, pk, action):
    case = services.get_case(request.company, pk)
    if action not in ACTIONS:
        return redirect("web:litigation_detail", pk=case.pk)
    form_class, _target, _label, call = ACTIONS[action]
    form = form_class(request.POST, prefix=action, auto_id=f"id_{action}_%s")
    if form.is_valid():
        data = {**form.cleaned_data}
        data["on"] = data.get("on") or timezone.localdate()
        try:
            case = call(case, data, request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{case} : {case.get_status_display()}.")
            return redirect("web:litigation_detail", pk=case.pk)
    case = services.get_case(request.company, pk)
    return _detail(request, case, {action: form}, status=422)


def _file(case, field: str) -> bytes:
    data = getattr(case, field)
    if not data:
        raise NotFound("Ce dossier n'a pas de document enregistré.")
    return bytes(data)


@company_view
def case_pdf(request, pk):
    case = services.get_case(request.company, pk)
    return pdf_inline(_file(case, "file_pdf"), case_filename(case))


@company_view
def case_zip(request, pk):
    case = services.get_case(request.company, pk)
    return HttpResponse(
        _file(case, "file_zip"),
        content_type="application/zip",
        headers={
            "Content-Disposition": content_disposition_header(True, case_filename(case, "zip")),
            "Cache-Control": "private, no-cache",
        },
    )
