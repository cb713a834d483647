"""Disputes (litiges) and promises to pay: lists, export, forms to open, resolve, record."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from encaisse.collection import disputes as services
from encaisse.collection.models import (
    Department,
    Dispute,
    DisputeCategory,
    DisputeStatus,
    PromiseChannel,
    PromiseToPay,
)
from encaisse.collection.promises import PromiseStatus, promises_as_of, record_promise
from encaisse.companies.permissions import EDIT_CUSTOMERS, ISSUE_CREDIT_NOTES, can
from encaisse.customers.models import Customer
from encaisse.errors import DomainError
from encaisse.money import format_decimal, format_eur
from encaisse.sales.models import DocumentKind, DocumentStatus, Invoice

from .. import audit
from ..exports import Column, export
from ..forms import NUMBER_MAX, date_field, members_of, text
from ..shortcuts import add_domain_error, company_view, page_of

MANAGE = services.COLLECT


# ---------------------------------------------------------------- forms


class DisputeFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Statut",
        required=False,
        choices=[("", "Ouverts et escaladés"), ("all", "Tous"), *DisputeStatus.choices],
    )
    category = forms.ChoiceField(
        label="Motif", required=False, choices=[("", "Tous"), *DisputeCategory.choices]
    )
    owner = forms.ChoiceField(label="Responsable", required=False)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "Tous"), *members_of(company)[1:]]


class DisputeForm(forms.Form):
    amount = text("Montant contesté TTC (€) — vide : tout ce qui reste dû", max_length=NUMBER_MAX)
    category = forms.ChoiceField(label="Motif", choices=DisputeCategory.choices)
    customer_words = text("Propos du client", of=Dispute.customer_words, required=True)
    owner = forms.ChoiceField(label="Responsable")
    department = forms.ChoiceField(label="Service", choices=Department.choices)
    target_date = date_field("Date cible de résolution")
    opened_on = date_field("Ouvert le")

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = members_of(company)


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Issue",
        widget=forms.RadioSelect,
        choices=[
            (DisputeStatus.RESOLVED_CREDIT_NOTE, "Avoir (émis maintenant, depuis le litige)"),
            (DisputeStatus.RESOLVED_CORRECTION, "Correction (sans avoir)"),
            (DisputeStatus.REJECTED, "Rejet"),
        ],
    )
    reason = text(
        "Motif (obligatoire pour une correction ou un rejet)", of=Dispute.resolution_reason
    )
    amount = text("Montant de l'avoir TTC (€) — vide : le montant contesté", max_length=NUMBER_MAX)
    resolved_on = date_field("Résolu le")


class PromiseForm(forms.Form):
    invoices = forms.MultipleChoiceField(
        label="Factures concernées", widget=forms.CheckboxSelectMultiple
    )
    amount = text("Montant promis (€)", max_length=NUMBER_MAX, required=True)
    promised_on = date_field("Date promise")
    tolerance_days = forms.IntegerField(label="Tolérance (jours)", initial=3, min_value=0)
    promised_by = text(
        "Promis par (nom de l'interlocuteur)", of=PromiseToPay.promised_by, required=True
    )
    channel = forms.ChoiceField(label="Canal", choices=PromiseChannel.choices)
    note = text("Note", of=PromiseToPay.note)

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoices"].choices = [
            (i.pk, f"{i.number} du {i.issue_date:%d/%m/%Y} — {format_eur(i.total_incl_vat)}")
            for i in Invoice.objects.filter(
                customer=customer, kind=DocumentKind.INVOICE, status=DocumentStatus.ISSUED
            ).order_by("-issue_date", "-pk")[:200]
        ]


class PromiseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Statut",
        required=False,
        choices=[("", "Tous"), *PromiseStatus.LABELS.items()],
    )
    as_of = date_field("Au")


# ---------------------------------------------------------------- disputes


def _filtered(request):
    form = DisputeFilterForm(request.GET, company=request.company)
    form.is_valid()
    data = form.cleaned_data
    status = data.get("status")
    disputes = services.disputes(
        request.company,
        status=status if status and status != "all" else None,
        category=data.get("category") or None,
        owner=data.get("owner") or None,
        open_only=not status,
    )
    return form, disputes


@company_view
def dispute_list(request):
    form, disputes = _filtered(request)
    today = timezone.localdate()
    page = page_of(request, disputes)
    for dispute in page.object_list:
        dispute.age = dispute.age_days(today)
    year_ago = today - dt.timedelta(days=365)
    return render(
        request,
        "encaisse/disputes/list.html",
        {
            "form": form,
            "page": page,
            "filtered": any(v for k, v in form.cleaned_data.items()),
            "today": today,
            "rate": services.dispute_rate(request.company, year_ago, today),
            "resolution_days": services.average_resolution_days(request.company, year_ago, today),
            "nav": "disputes",
        },
    )


@company_view
def dispute_export(request):
    _, disputes = _filtered(request)
    today = timezone.localdate()
    columns = [
        Column("N°", lambda d: d.pk, width=8),
        Column("Ouvert le", lambda d: d.opened_on, width=12),
        Column("Âge (jours)", lambda d: d.age_days(today), width=10),
        Column("Client", lambda d: d.customer.legal_name, width=34),
        Column("Facture", lambda d: d.invoice.number, width=16),
        Column("Motif", lambda d: d.get_category_display(), width=16),
        Column("Responsable", lambda d: d.owner.get_full_name() or d.owner.get_username()),
        Column("Service", lambda d: d.get_department_display()),
        Column("Montant contesté", lambda d: d.amount, money=True),
        Column("Date cible", lambda d: d.target_date, width=12),
        Column("Statut", lambda d: d.get_status_display(), width=20),
        Column("Résolu le", lambda d: d.resolved_on, width=12),
        Column("Propos du client", lambda d: d.customer_words, width=50),
    ]
    return export(request, "litiges", "Litiges", columns, disputes)


@company_view(needs=EDIT_CUSTOMERS)
def dispute_create(request, invoice_pk):
    invoice = get_object_or_404(
        Invoice.objects.select_related("customer"),
        company=request.company,
        pk=invoice_pk,
        kind=DocumentKind.INVOICE,
        status=DocumentStatus.ISSUED,
    )
    today = timezone.localdate()
    initial = {
        "owner": request.user.pk,
        "opened_on": today,
        "target_date": today + dt.timedelta(days=15),
    }
    form = DisputeForm(request.POST or None, company=request.company, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            dispute = services.open_dispute(
                request.company, {**form.cleaned_data, "invoice": invoice.pk}, by=request.user
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"{dispute} ouvert sur la facture {invoice.number} "
                f"pour {format_eur(dispute.amount)}.",
            )
            return redirect("web:dispute_detail", pk=dispute.pk)
    return render(
        request,
        "encaisse/disputes/form.html",
        {
            "form": form,
            "invoice": invoice,
            "open_amount": services.invoice_open_amount(invoice, today),
            "disputed": services.disputed_amount(invoice, today),
            "nav": "disputes",
        },
        status=422 if form.errors else 200,
    )


@company_view
def dispute_detail(request, pk, form=None):
    dispute = services.get_dispute(request.company, pk)
    today = timezone.localdate()
    return render(
        request,
        "encaisse/disputes/detail.html",
        {
            "dispute": dispute,
            "age": dispute.age_days(today),
            "late": dispute.is_open and dispute.target_date < today,
            "form": form
            or ResolveForm(
                initial={"resolved_on": today, "amount": format_decimal(dispute.amount)}
            ),
            "may_resolve": dispute.is_open and can(request.user, request.company, MANAGE),
            "may_credit": can(request.user, request.company, ISSUE_CREDIT_NOTES),
            "trail": audit.entries(dispute),
            "nav": "disputes",
        },
        status=422 if form is not None else 200,
    )


@require_POST
@company_view(needs=MANAGE)
def dispute_resolve(request, pk):
    dispute = services.get_dispute(request.company, pk)
    form = ResolveForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.resolve_dispute(
                dispute,
                data["outcome"],
                reason=data["reason"],
                by=request.user,
                on=data["resolved_on"],
                amount=data["amount"] or None,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            dispute.refresh_from_db()
            note = f" : avoir {dispute.credit_note.number} émis" if dispute.credit_note else ""
            messages.success(request, f"{dispute} clos ({dispute.get_status_display()}){note}.")
            return redirect("web:dispute_detail", pk=dispute.pk)
    return dispute_detail(request, pk, form=form)


@require_POST
@company_view(needs=MANAGE)
def dispute_escalate(request):
    """Escalate now what the dunning run would escalate: open disputes past their target."""
    escalated = services.escalate_overdue_disputes(
        request.company, timezone.localdate(), by=request.user
    )
    if escalated:
        messages.success(
            request,
            f"{len(escalated)} litige{'s' if len(escalated) > 1 else ''} escaladé"
            f"{'s' if len(escalated) > 1 else ''} au responsable hiérarchique.",
        )
    else:
        messages.info(request, "Aucun litige ouvert n'a dépassé sa date cible.")
    return redirect("web:disputes")


# ---------------------------------------------------------------- promises


@company_view
def promise_list(request):
    form = PromiseFilterForm(request.GET)
    form.is_valid()
    as_of = form.cleaned_data.get("as_of") or timezone.localdate()
    promises = promises_as_of(request.company, as_of).select_related("customer")
    if form.cleaned_data.get("status"):
        promises = promises.filter(status=form.cleaned_data["status"])
    if request.GET.get("customer", "").isdigit():
        promises = promises.filter(customer_id=request.GET["customer"])
    return render(
        request,
        "encaisse/disputes/promises.html",
        {
            "form": form,
            "as_of": as_of,
            "page": page_of(
                request, promises.prefetch_related("invoices").order_by("-promised_on", "-pk")
            ),
            "labels": PromiseStatus.LABELS,
            "nav": "disputes",
        },
    )


@company_view(needs=MANAGE)
def promise_create(request, customer_pk):
    customer = get_object_or_404(Customer, company=request.company, pk=customer_pk)
    form = PromiseForm(request.POST or None, customer=customer, initial={"tolerance_days": 3})
    if request.method == "POST" and form.is_valid():
        try:
            promise = record_promise(
                request.company, {**form.cleaned_data, "customer": customer.pk}, by=request.user
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"Promesse de {format_eur(promise.amount)} pour le "
                f"{promise.promised_on:%d/%m/%Y} enregistrée.",
            )
            return redirect(f"{reverse('web:promises')}?customer={customer.pk}")
    return render(
        request,
        "encaisse/disputes/promise_form.html",
        {"form": form, "customer": customer, "nav": "disputes"},
        status=422 if form.errors else 200,
    )
