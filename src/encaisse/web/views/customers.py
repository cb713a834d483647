"""Customers: list, search, export, detail with contacts and history, create and edit."""

from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from encaisse.companies.permissions import EDIT_CUSTOMERS
from encaisse.customers import services
from encaisse.customers.models import Contact, Customer
from encaisse.errors import DomainError
from encaisse.sales import selectors

from .. import audit
from ..exports import Column, export
from ..forms import ContactForm, CustomerForm, CustomerSearchForm
from ..shortcuts import add_domain_error, company_view, page_of
from .credit import credit_limit_form, customer_credit


@company_view
def customer_list(request):
    form = CustomerSearchForm(request.GET)
    form.is_valid()
    query = form.cleaned_data.get("q", "")
    return render(
        request,
        "encaisse/customers/list.html",
        {
            "form": form,
            "query": query,
            "page": page_of(request, services.search(request.company, query)),
            "nav": "customers",
        },
    )


@company_view
def customer_export(request):
    query = request.GET.get("q", "")
    columns = [
        Column("Raison sociale / nom", lambda c: c.legal_name, width=36),
        Column("Type", lambda c: c.get_kind_display(), width=14),
        Column("SIREN", lambda c: c.siren, width=12),
        Column("SIRET", lambda c: c.siret, width=16),
        Column("N° de TVA", lambda c: c.vat_number, width=16),
        Column("Adresse", lambda c: c.billing_line1, width=30),
        Column("Code postal", lambda c: c.billing_postal_code, width=10),
        Column("Ville", lambda c: c.billing_city, width=20),
        Column("Pays", lambda c: c.billing_country, width=6),
        Column("E-mail", lambda c: c.email, width=28),
        Column("Téléphone", lambda c: c.phone, width=16),
        Column("Segment", lambda c: c.get_segment_display(), width=14),
        Column("Classe de risque", lambda c: c.risk_class, width=8),
        Column("Créé le", lambda c: c.created_at.date(), width=12),
    ]
    rows = services.search(request.company, query)
    return export(request, "clients", "Clients", columns, rows)


def _save(request, customer: Customer | None):
    form = CustomerForm(
        request.POST or None,
        company=request.company,
        initial=(CustomerForm.initial_of(customer) if customer else None),
    )
    limit_form = credit_limit_form(request, customer)
    if (
        request.method == "POST"
        and form.is_valid()
        and (limit_form is None or limit_form.is_valid())
    ):
        data = dict(form.cleaned_data)
        try:
            # One transaction: a refused credit limit leaves the customer unchanged too.
            with transaction.atomic():
                if customer is None:
                    saved = services.create_customer(request.company, data, by=request.user)
                else:
                    saved = services.update_customer(customer, data, by=request.user)
                if limit_form is not None:
                    limit_form.save(saved, by=request.user)
        except DomainError as exc:
            is_credit = limit_form is not None and (exc.field or "").startswith("credit_")
            add_domain_error(limit_form if is_credit else form, exc)
        else:
            return redirect("web:customer_detail", pk=saved.pk)
    return render(
        request,
        "encaisse/customers/form.html",
        {"form": form, "limit_form": limit_form, "customer": customer, "nav": "customers"},
    )


@company_view(needs=EDIT_CUSTOMERS)
def customer_create(request):
    return _save(request, None)


@company_view(needs=EDIT_CUSTOMERS)
def customer_edit(request, pk):
    return _save(request, get_object_or_404(Customer, pk=pk, company=request.company))


@company_view
def customer_detail(request, pk, contact_form=None, incident_form=None):
    customer = get_object_or_404(Customer, pk=pk, company=request.company)
    documents = selectors.invoices(request.company, kind="all", customer=customer.pk)
    return render(
        request,
        "encaisse/customers/detail.html",
        {
            "customer": customer,
            "contacts": customer.contacts.all(),
            "contact_form": contact_form or ContactForm(),
            "documents": documents[:20],
            "documents_count": documents.count(),
            "trail": audit.entries(customer),
            **customer_credit(request, customer, incident_form),
            "nav": "customers",
        },
    )


@company_view(needs=EDIT_CUSTOMERS)
@require_POST
def contact_add(request, pk):
    customer = get_object_or_404(Customer, pk=pk, company=request.company)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.add_contact(customer, form.cleaned_data, by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("web:customer_detail", pk=customer.pk)
    return customer_detail(request, pk, contact_form=form)


@company_view(needs=EDIT_CUSTOMERS)
@require_POST
def contact_remove(request, pk, contact_pk):
    contact = get_object_or_404(
        Contact, pk=contact_pk, customer__pk=pk, customer__company=request.company
    )
    services.remove_contact(contact, by=request.user)
    return redirect("web:customer_detail", pk=pk)
