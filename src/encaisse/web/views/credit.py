"""Credit control pages: customers over or near their limit (Encours clients), the credit
limit fields of the customer form, the incidents of a customer."""

from django import forms
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from encaisse.companies.permissions import CREDIT_OVERRIDE, EDIT_CUSTOMERS, can
from encaisse.customers import credit
from encaisse.customers.models import CreditIncident, CreditLimitOrigin, Customer, IncidentKind
from encaisse.errors import DomainError
from encaisse.money import format_decimal
from encaisse.reporting.late_cost import late_cost

from ..exports import Column, export
from ..forms import NUMBER_MAX, date_field, text
from ..shortcuts import add_domain_error, company_view, page_of
from .reports import AsOfForm

SHOW_CHOICES = [
    ("near", "Au-delà ou proches de leur limite"),
    ("over", "Au-delà de leur limite"),
    ("all", "Tous les clients avec une limite"),
]


class CreditLimitForm(forms.Form):
    """Rendered inside the customer form (prefix "credit") for users with credit.override."""

    credit_limit = text(
        "Limite de crédit (€)", max_length=NUMBER_MAX, help_text="Vide : pas de limite."
    )
    # Not required: a customer form posted without the credit part (an older page, a
    # script) leaves the limit alone rather than failing or clearing it (see save).
    credit_limit_origin = forms.ChoiceField(
        label="Origine de la limite", choices=CreditLimitOrigin.choices, required=False
    )
    credit_insurer = text("Assureur-crédit", of=Customer.credit_insurer)
    credit_covered_amount = text("Montant garanti (€)", max_length=NUMBER_MAX)
    credit_cover_date = date_field("Date de la garantie")

    @staticmethod
    def initial_of(customer: Customer | None) -> dict:
        if customer is None:
            return {"credit_limit_origin": CreditLimitOrigin.MANUAL}
        return {
            "credit_limit": format_decimal(customer.credit_limit),
            "credit_limit_origin": customer.credit_limit_origin or CreditLimitOrigin.MANUAL,
            "credit_insurer": customer.credit_insurer,
            "credit_covered_amount": format_decimal(customer.credit_covered_amount),
            "credit_cover_date": customer.credit_cover_date,
        }

    def save(self, customer: Customer, *, by) -> None:
        """Call the service only when something changed: the customer form is saved
        more often than the limit, and by users who may not set it."""
        data = self.cleaned_data
        if not self.has_changed() or not data["credit_limit_origin"]:
            return
        credit.set_credit_limit(
            customer,
            limit=data["credit_limit"],
            origin=data["credit_limit_origin"],
            insurer=data["credit_insurer"],
            covered_amount=data["credit_covered_amount"],
            cover_date=data["credit_cover_date"],
            by=by,
        )


def credit_limit_form(request, customer: Customer | None) -> CreditLimitForm | None:
    """The credit limit part of the customer form, None for users who may not set it."""
    if not can(request.user, request.company, CREDIT_OVERRIDE):
        return None
    return CreditLimitForm(
        request.POST or None, prefix="credit", initial=CreditLimitForm.initial_of(customer)
    )


class IncidentForm(forms.Form):
    date = date_field("Date")
    kind = forms.ChoiceField(label="Nature", choices=IncidentKind.choices)
    note = text("Note", of=CreditIncident.note, area=False)


def customer_credit(request, customer: Customer, incident_form=None) -> dict:
    """The customer page's credit block: limit, exposure today, incidents, late cost."""
    today = timezone.localdate()
    exposure = credit.exposure(customer, today)
    return {
        "credit_exposure": exposure,
        "credit_use": credit.use_percent(customer.credit_limit, exposure),
        "credit_over_by": (
            exposure - customer.credit_limit
            if customer.credit_limit is not None and exposure > customer.credit_limit
            else None
        ),
        "late": late_cost(request.company, today, customer),
        "incidents": customer.incidents.select_related("by"),
        "incident_form": incident_form or IncidentForm(initial={"date": today}),
    }


@company_view(needs=EDIT_CUSTOMERS)
@require_POST
def incident_add(request, pk):
    from .customers import customer_detail  # the page the form lives on

    customer = get_object_or_404(Customer, pk=pk, company=request.company)
    form = IncidentForm(request.POST)
    if form.is_valid():
        try:
            credit.record_incident(customer, **form.cleaned_data, by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("web:customer_detail", pk=customer.pk)
    return customer_detail(request, pk, incident_form=form)


class PositionsForm(AsOfForm):
    show = forms.ChoiceField(label="Clients", choices=SHOW_CHOICES, required=False)


def _positions(request):
    form = PositionsForm(request.GET)
    as_of = form.as_of_date()
    show = form.cleaned_data.get("show") or "near"
    return form, as_of, credit.positions(request.company, as_of, show=show)


@company_view
def credit_positions(request):
    form, as_of, rows = _positions(request)
    return render(
        request,
        "encaisse/credit/positions.html",
        {
            "form": form,
            "as_of": as_of,
            "page": page_of(request, rows),
            "count": len(rows),
            "near_percent": credit.NEAR_LIMIT_PERCENT,
            "nav": "credit",
        },
    )


@company_view
def credit_positions_export(request):
    _, _, rows = _positions(request)
    columns = [
        Column("Client", lambda p: p.customer.legal_name, width=36),
        Column("Origine", lambda p: p.customer.get_credit_limit_origin_display(), width=18),
        Column("Assureur", lambda p: p.customer.credit_insurer, width=18),
        Column("Limite", lambda p: p.limit, width=14, money=True),
        Column("Encours", lambda p: p.exposure, width=14, money=True),
        Column("Utilisation (%)", lambda p: p.use_percent, width=14),
        Column("Dépassement", lambda p: p.over_by, width=14, money=True),
        Column("Classe de risque", lambda p: p.customer.risk_class, width=10),
    ]
    return export(request, "encours-clients", "Encours clients", columns, rows)
