"""The collection file of a customer (dossier de recouvrement): everything the collector
needs on screen during a call, the form that logs the call, and the written
confirmation of what was agreed."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from encaisse.collection.models import Department, Dispute, DisputeCategory
from encaisse.companies.permissions import COLLECT, can
from encaisse.customers.models import Customer
from encaisse.dunning import calls as services
from encaisse.dunning.collection_file import KIND_LABELS, collection_file
from encaisse.dunning.models import Call, CallOutcome, CallStep
from encaisse.errors import DomainError
from encaisse.mailing.models import OutgoingMail
from encaisse.money import format_eur
from encaisse.receivables.selectors import open_installments
from encaisse.sales.models import DocumentKind, DocumentStatus, Invoice

from ..forms import NUMBER_MAX, RECIPIENTS_MAX, date_field, members_of, text
from ..shortcuts import add_domain_error, company_view
from .reports import AsOfForm

# ---------------------------------------------------------------- forms


class CallForm(forms.Form):
    contact = forms.ChoiceField(label="Interlocuteur", required=False)
    contact_name = text("… ou son nom, s'il n'est pas dans les contacts", of=Call.contact_name)
    called_on = date_field("Date de l'appel")
    steps = forms.MultipleChoiceField(
        label="Étapes de l'appel",
        required=False,
        choices=CallStep.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    outcome = forms.ChoiceField(
        label="Issue de l'appel", choices=CallOutcome.choices, widget=forms.RadioSelect
    )
    callback_on = date_field("Rappeler le")
    note = text("Compte rendu (raison du retard, ce qui a été dit)", of=Call.note)
    # Promise
    promise_invoices = forms.MultipleChoiceField(
        label="Factures concernées", required=False, widget=forms.CheckboxSelectMultiple
    )
    promise_amount = text("Montant promis (€)", max_length=NUMBER_MAX)
    promised_on = date_field("Date promise")
    promise_tolerance_days = forms.IntegerField(
        label="Tolérance (jours)", required=False, min_value=0
    )
    # Dispute
    dispute_invoice = forms.ChoiceField(label="Facture contestée", required=False)
    dispute_amount = text(
        "Montant contesté TTC (€) — vide : tout ce qui reste dû", max_length=NUMBER_MAX
    )
    dispute_category = forms.ChoiceField(
        label="Motif", required=False, choices=[("", "—"), *DisputeCategory.choices]
    )
    dispute_owner = forms.ChoiceField(label="Responsable", required=False)
    dispute_department = forms.ChoiceField(
        label="Service", required=False, choices=[("", "—"), *Department.choices]
    )
    dispute_target_date = date_field("Date cible de résolution")
    dispute_words = text("Propos du client", of=Dispute.customer_words)

    PROMISE = ("promise_invoices", "promise_amount", "promised_on", "promise_tolerance_days")
    DISPUTE = (
        "dispute_invoice",
        "dispute_amount",
        "dispute_category",
        "dispute_owner",
        "dispute_department",
        "dispute_target_date",
        "dispute_words",
    )

    def __init__(self, *args, customer, contacts, owed, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = [("", "—")] + [
            (c.pk, f"{c.name}{f' ({c.job_title})' if c.job_title else ''}") for c in contacts
        ]
        # The invoices still owed first: those are what a call is about.
        invoices = sorted(
            Invoice.objects.filter(
                customer=customer, kind=DocumentKind.INVOICE, status=DocumentStatus.ISSUED
            ).order_by("-issue_date", "-pk")[:200],
            key=lambda i: (i.pk not in owed,),
        )
        choices = [
            (
                i.pk,
                f"{i.number} du {i.issue_date:%d/%m/%Y} — {format_eur(i.total_incl_vat)}"
                + (" (réglée)" if i.pk not in owed else ""),
            )
            for i in invoices
        ]
        self.fields["promise_invoices"].choices = choices
        self.fields["dispute_invoice"].choices = [("", "—"), *choices]
        self.fields["dispute_owner"].choices = members_of(customer.company)

    def service_data(self, customer) -> dict:
        data = dict(self.cleaned_data)
        data["customer"] = customer.pk
        # The fields of the other outcomes stay on the page (hidden), not in the call.
        outcome = data.get("outcome")
        for name in self.PROMISE if outcome != CallOutcome.PROMISE else ():
            data.pop(name, None)
        for name in self.DISPUTE if outcome != CallOutcome.DISPUTE else ():
            data.pop(name, None)
        if outcome != CallOutcome.CALLBACK:
            data.pop("callback_on", None)
        return data


class ConfirmationForm(forms.Form):
    to = text("Destinataires", max_length=RECIPIENTS_MAX)
    subject = text("Objet", of=OutgoingMail.subject)
    body = text("Message", of=OutgoingMail.body, rows=14)


# ---------------------------------------------------------------- views


def _customer(request, pk) -> Customer:
    return get_object_or_404(
        Customer.objects.select_related("collector", "company"), pk=pk, company=request.company
    )


def _page(request, customer, *, call_form=None, confirm_form=None, confirm_call=None):
    as_of_form = AsOfForm(request.GET)
    as_of = as_of_form.as_of_date()
    file = collection_file(customer, as_of)
    may_log = can(request.user, request.company, COLLECT)
    today = timezone.localdate()
    if call_form is None and may_log:
        call_form = CallForm(
            customer=customer,
            contacts=file.contacts,
            owed={i.invoice_id for i in file.items},
            initial={
                "called_on": today,
                "promise_tolerance_days": 3,
                "dispute_owner": request.user.pk,
            },
        )
    if confirm_call is None and may_log and request.GET.get("confirm", "").isdigit():
        confirm_call = Call.objects.filter(
            company=request.company, customer=customer, pk=request.GET["confirm"]
        ).first()
        if confirm_call is not None and confirm_call.confirmation_mail_id is not None:
            confirm_call = None  # already sent: nothing to edit
    if confirm_call is not None and confirm_form is None:
        try:
            to, subject, body = services.confirmation_message(confirm_call)
        except DomainError:
            confirm_call = None
        else:
            confirm_form = ConfirmationForm(initial={"to": to, "subject": subject, "body": body})
    calls = {
        c.pk: c
        for c in Call.objects.filter(
            company=request.company, customer=customer, called_on__lte=as_of
        ).select_related("confirmation_mail")
    }
    invalid = any(f is not None and f.errors for f in (call_form, confirm_form))
    return render(
        request,
        "encaisse/collection_file/detail.html",
        {
            "customer": customer,
            "file": file,
            "as_of_form": as_of_form,
            "today": today,
            "kind_labels": KIND_LABELS,
            "calls": calls,
            "steps": CallStep.choices,
            "step_labels": dict(CallStep.choices),
            "call_form": call_form,
            "may_log": may_log,
            "confirm_call": confirm_call,
            "confirm_form": confirm_form,
            "nav": "customers",
        },
        status=422 if invalid else 200,
    )


@company_view
def collection_file_view(request, pk):
    return _page(request, _customer(request, pk))


@require_POST
@company_view(needs=COLLECT)
def call_log(request, pk):
    customer = _customer(request, pk)
    owed = set(
        open_installments(request.company, timezone.localdate(), customer).values_list(
            "invoice_id", flat=True
        )
    )
    form = CallForm(request.POST, customer=customer, contacts=customer.contacts.all(), owed=owed)
    if form.is_valid():
        try:
            call = services.log_call(request.company, form.service_data(customer), by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            done = f"Appel du {call.called_on:%d/%m/%Y} consigné : {call.get_outcome_display()}"
            if call.promise_id:
                done += (
                    f" de {format_eur(call.promise.amount)} pour le "
                    f"{call.promise.promised_on:%d/%m/%Y}"
                )
            elif call.dispute_id:
                done += f" ({call.dispute} ouvert)"
            elif call.callback_on:
                done += f" {call.callback_on:%d/%m/%Y}"
            messages.success(request, done + ".")
            url = reverse("web:collection_file", args=[customer.pk])
            if call.outcome in (CallOutcome.PROMISE, CallOutcome.DISPUTE):
                # Step five: the written confirmation, prepared for the collector to edit.
                return redirect(f"{url}?confirm={call.pk}#confirmation")
            return redirect(f"{url}#call-{call.pk}")
    return _page(request, customer, call_form=form)


@require_POST
@company_view(needs=COLLECT)
def call_confirm(request, pk, call_pk):
    customer = _customer(request, pk)
    call = get_object_or_404(
        Call.objects.select_related("customer", "contact", "promise", "dispute__invoice", "by"),
        company=request.company,
        customer=customer,
        pk=call_pk,
    )
    form = ConfirmationForm(request.POST)
    if form.is_valid():
        try:
            services.send_confirmation(call, form.cleaned_data, by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, "La confirmation écrite est dans la file d'envoi (page Envoi)."
            )
            url = reverse("web:collection_file", args=[customer.pk])
            return redirect(f"{url}#call-{call.pk}")
    return _page(request, customer, confirm_form=form, confirm_call=call)
