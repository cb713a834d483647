"""Payments received: list, export, record, detail, lettrage (allocation), undo,
write-off of a small remainder, refund, and cheque remittance slips."""

from django import forms
from django.contrib import messages
from django.db.models import Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from encaisse.companies.permissions import ALLOCATE, RECORD_PAYMENTS, can
from encaisse.customers.models import Customer
from encaisse.documents.responses import pdf_inline
from encaisse.documents.statements import remittance_filename, remittance_slip_pdf
from encaisse.errors import DomainError
from encaisse.money import ZERO, format_decimal, format_eur
from encaisse.receivables import selectors
from encaisse.receivables.models import (
    Allocation,
    Installment,
    Payment,
    PaymentMethod,
    Refund,
    RemittanceSlip,
    WriteOff,
)
from encaisse.receivables.services.allocation import (
    allocate,
    propose_allocation,
    refund,
    undo_allocation,
    write_off,
)
from encaisse.receivables.services.payments import create_remittance_slip, record_payment
from encaisse.validation import parse_decimal

from .. import audit
from ..exports import Column, export
from ..forms import CODE_MAX, NUMBER_MAX, SEARCH_MAX, date_field, text
from ..shortcuts import add_domain_error, company_view, error_targets, page_of

METHOD_OPTIONS = [("", "Tous"), *PaymentMethod.choices]


def customer_choices(company, empty: str) -> list:
    return [("", empty), *Customer.objects.filter(company=company).values_list("pk", "legal_name")]


# ---------------------------------------------------------------- forms


class PaymentFilterForm(forms.Form):
    q = text("Rechercher", max_length=SEARCH_MAX)
    customer = forms.ChoiceField(label="Client", required=False)
    method = forms.ChoiceField(label="Mode", required=False, choices=METHOD_OPTIONS)
    date_from = date_field("Reçu du")
    date_to = date_field("au")
    unallocated = forms.BooleanField(label="Non lettrés", required=False)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = customer_choices(company, "Tous")


class PaymentForm(forms.Form):
    customer = forms.ChoiceField(label="Client")
    date = date_field("Date de réception")
    # Amounts stay text: the service parses them (French comma, two decimals at most).
    amount = text("Montant (€)", max_length=NUMBER_MAX)
    method = forms.ChoiceField(label="Mode de règlement", choices=PaymentMethod.choices)
    payer = text("Payeur (si différent du client)", of=Payment.payer)
    reference = text(
        "Référence (n° de chèque, libellé du virement, factures réglées)", of=Payment.reference
    )
    bank_account = text("Compte bancaire du payeur (IBAN)", max_length=CODE_MAX)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = customer_choices(company, "Choisir un client…")
        self.fields["date"].required = True
        self.fields["date"].error_messages["required"] = "La date est obligatoire."


class UndoForm(forms.Form):
    reason = text("Motif du délettrage", of=Allocation.undo_reason)
    undone_on = date_field("Délettré le")


class WriteOffForm(forms.Form):
    amount = text("Écart (€)", max_length=NUMBER_MAX)
    reason = text("Motif", of=WriteOff.reason, initial="Écart de règlement")


class RefundForm(forms.Form):
    amount = text("Montant remboursé (€)", max_length=NUMBER_MAX)
    date = date_field("Date")
    method = forms.ChoiceField(label="Mode", choices=PaymentMethod.choices)
    reference = text("Référence", of=Refund.reference)


class RemittanceForm(forms.Form):
    date = date_field("Date de remise")
    bank_account = text("Compte crédité (IBAN)", max_length=CODE_MAX)


# ---------------------------------------------------------------- list and export


def _filtered(request):
    form = PaymentFilterForm(request.GET, company=request.company)
    form.is_valid()
    data = form.cleaned_data
    payments = selectors.payments_as_of(request.company, timezone.localdate()).select_related(
        "customer", "remittance"
    )
    if data.get("q"):
        q = data["q"].strip()
        payments = payments.filter(
            Q(number__icontains=q) | Q(reference__icontains=q) | Q(payer__icontains=q)
        )
    if data.get("customer"):
        payments = payments.filter(customer_id=data["customer"])
    if data.get("method"):
        payments = payments.filter(method=data["method"])
    if data.get("date_from"):
        payments = payments.filter(date__gte=data["date_from"])
    if data.get("date_to"):
        payments = payments.filter(date__lte=data["date_to"])
    if data.get("unallocated"):
        payments = payments.filter(unallocated__gt=0)
    return form, payments.order_by("-date", "-id")


@company_view
def payment_list(request):
    form, payments = _filtered(request)
    return render(
        request,
        "encaisse/payments/list.html",
        {
            "form": form,
            "page": page_of(request, payments),
            "filtered": any(form.cleaned_data.values()),
            "nav": "payments",
        },
    )


@company_view
def payment_export(request):
    _, payments = _filtered(request)
    columns = [
        Column("Numéro", lambda p: p.number, width=16),
        Column("Date", lambda p: p.date, width=12),
        Column("Client", lambda p: p.customer.legal_name, width=34),
        Column("Mode", lambda p: p.get_method_display(), width=16),
        Column("Payeur", lambda p: p.payer, width=30),
        Column("Référence", lambda p: p.reference, width=24),
        Column("Montant", lambda p: p.amount, money=True),
        Column("Lettré", lambda p: p.allocated, money=True),
        Column("Non lettré", lambda p: p.unallocated, money=True),
        Column("Bordereau", lambda p: p.remittance.number if p.remittance_id else None, width=10),
    ]
    return export(request, "reglements", "Règlements", columns, payments)


# ---------------------------------------------------------------- record


@company_view(needs=RECORD_PAYMENTS)
def payment_create(request):
    initial = {"date": timezone.localdate(), "customer": request.GET.get("customer", "")}
    form = PaymentForm(request.POST or None, company=request.company, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            payment = record_payment(request.company, form.cleaned_data, by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, f"Règlement {payment.number} de {format_eur(payment.amount)} enregistré."
            )
            return redirect("web:payment_detail", pk=payment.pk)
    return render(
        request,
        "encaisse/payments/form.html",
        {"form": form, "nav": "payments"},
        status=422 if form.errors else 200,
    )


# ---------------------------------------------------------------- detail and actions


def _payment(request, pk):
    return get_object_or_404(
        selectors.payments_as_of(request.company, timezone.localdate()).select_related(
            "customer", "remittance", "created_by"
        ),
        pk=pk,
    )


def _small_remainders(payment, threshold) -> list:
    """Installments this payment settles in part whose remainder could be written off."""
    if threshold <= 0:
        return []
    touched = Allocation.objects.filter(payment=payment, undone_on__isnull=True).values(
        "installment_id"
    )
    return list(
        selectors.open_installments(payment.company, timezone.localdate(), payment.customer)
        .filter(pk__in=touched, open_amount__lte=threshold)
        .select_related("invoice")
        .order_by("due_date", "pk")
    )


@company_view
def payment_detail(request, pk, refund_form=None, write_off_forms=None):
    payment = _payment(request, pk)
    may_allocate = can(request.user, request.company, ALLOCATE)
    allocations = payment.allocations.select_related(
        "installment__invoice", "refund", "created_by", "undone_by"
    ).order_by("allocated_on", "pk")
    open_items = selectors.open_installments(
        request.company, timezone.localdate(), payment.customer
    ).exists()
    remainders = _small_remainders(payment, request.company.write_off_threshold)
    write_off_forms = write_off_forms or {}
    return render(
        request,
        "encaisse/payments/detail.html",
        {
            "payment": payment,
            "allocations": allocations,
            "open_items": open_items,
            "remainders": [
                (
                    item,
                    write_off_forms.get(item.pk)
                    or WriteOffForm(
                        initial={"amount": format_decimal(item.open_amount)},
                        prefix=f"wo{item.pk}",
                    ),
                )
                for item in remainders
            ],
            # The amount is left empty: the whole credit is a hint, not a default.
            "refund_form": refund_form
            or RefundForm(initial={"date": timezone.localdate(), "method": PaymentMethod.TRANSFER}),
            "threshold": request.company.write_off_threshold,
            "may_allocate": may_allocate,
            "trail": audit.entries(payment),
            "nav": "payments",
        },
        status=422 if (refund_form and refund_form.errors) or write_off_forms else 200,
    )


def _typed_amounts(post, candidates) -> dict[int, str]:
    return {i.pk: post.get(f"amount-{i.pk}", "").strip() for i in candidates}


def _allocation_rows(payment, typed: dict | None, row_errors: dict | None = None) -> list:
    """Every open item of the customer, with the proposed (or typed) amount."""
    proposed = {p.installment.pk: p for p in propose_allocation(payment)}
    row_errors = row_errors or {}
    rows = []
    for item in (
        selectors.open_installments(payment.company, timezone.localdate(), payment.customer)
        .select_related("invoice")
        .order_by("due_date", "issue_date", "pk")
    ):
        proposal = proposed.get(item.pk)
        if typed is not None:
            value = typed.get(item.pk, "")
        else:
            value = format_decimal(proposal.amount) if proposal else ""
        rows.append(
            {
                "item": item,
                "value": value,
                "reason": proposal.reason if proposal else "",
                "error": row_errors.get(item.pk),
            }
        )
    # Referenced invoices first, as the proposal ranks them.
    rows.sort(key=lambda r: r["reason"] != "référence")
    return rows


def _is_zero(value: str) -> bool:
    try:
        return not parse_decimal(value, "amount", "Le montant", places=2, required=False)
    except DomainError:
        return False  # not a number: the service says so next to the row


def _summary(payment, typed: dict[int, str]) -> dict:
    """The total typed and what would stay unallocated; None when a value is not a number."""
    total = ZERO
    for value in typed.values():
        try:
            total += parse_decimal(value, "amount", "Le montant", places=2, required=False) or ZERO
        except DomainError:
            return {"total": None, "left": None, "available": payment.unallocated}
    return {"total": total, "left": payment.unallocated - total, "available": payment.unallocated}


@company_view(needs=ALLOCATE)
def payment_allocate(request, pk):
    """The lettrage screen: the proposal as editable amounts; "Valider" calls allocate."""
    payment = _payment(request, pk)
    typed, row_errors, error, date_error = None, {}, None, None
    on = request.POST.get("allocated_on") or timezone.localdate().isoformat()
    if request.method == "POST":
        candidates = list(
            selectors.open_installments(
                request.company, timezone.localdate(), payment.customer
            ).select_related("invoice")
        )
        typed = _typed_amounts(request.POST, candidates)
        # A blank or zero amount means "not this one": only the others go to the service.
        wanted = [(pk_, value) for pk_, value in typed.items() if not _is_zero(value)]
        try:
            allocations = allocate(payment, wanted, by=request.user, on=on)
        except DomainError as exc:
            numbers = {i.pk: i.invoice.number for i in candidates}
            for field, message in error_targets(exc):
                error = message
                parts = (field or "").split(".")
                if field == "allocated_on":
                    date_error = message
                elif len(parts) == 3 and parts[0] == "items" and parts[1].isdigit():
                    row_errors[wanted[int(parts[1]) - 1][0]] = message
                else:
                    # "items" errors name the invoice in words: put them on its row.
                    for pk_, _ in wanted:
                        if numbers[pk_] in message:
                            row_errors[pk_] = message
        else:
            total = sum((a.amount for a in allocations), ZERO)
            messages.success(
                request,
                f"Lettrage validé : {format_eur(total)} sur {len(allocations)} échéance"
                f"{'s' if len(allocations) > 1 else ''}.",
            )
            return redirect("web:payment_detail", pk=payment.pk)
    rows = _allocation_rows(payment, typed, row_errors)
    values = {r["item"].pk: r["value"] for r in rows}
    return render(
        request,
        "encaisse/payments/allocate.html",
        {
            "payment": payment,
            "rows": rows,
            "summary": _summary(payment, values),
            "allocated_on": on,
            "error": error,
            "date_error": date_error,
            "nav": "payments",
        },
        status=422 if error else 200,
    )


@company_view(needs=ALLOCATE)
@require_POST
def payment_allocate_summary(request, pk):
    """htmx: the total typed on the lettrage screen and what would stay unallocated."""
    payment = _payment(request, pk)
    candidates = selectors.open_installments(
        request.company, timezone.localdate(), payment.customer
    )
    return render(
        request,
        "encaisse/payments/_allocate_summary.html",
        {"summary": _summary(payment, _typed_amounts(request.POST, candidates))},
    )


@company_view(needs=ALLOCATE)
def allocation_undo(request, pk):
    """GET: confirm with a reason; POST: undo. The allocation row stays as the trace."""
    allocation = get_object_or_404(
        Allocation.objects.select_related("installment__invoice", "payment", "credit_note"),
        pk=pk,
        company=request.company,
    )
    form = UndoForm(request.POST or None, initial={"undone_on": timezone.localdate()})
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            undo_allocation(
                allocation,
                by=request.user,
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data["undone_on"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            refusal = exc.message
        else:
            messages.success(request, "Lettrage annulé.")
            if allocation.payment_id:
                return redirect("web:payment_detail", pk=allocation.payment_id)
            return redirect("web:customer_statement", pk=allocation.customer_id)
    return render(
        request,
        "encaisse/payments/undo.html",
        {"allocation": allocation, "form": form, "refusal": refusal, "nav": "payments"},
        status=422 if form.errors else 200,
    )


@company_view(needs=ALLOCATE)
@require_POST
def payment_write_off(request, pk, installment_pk):
    """Write off the small remainder of an installment this payment settled in part."""
    payment = _payment(request, pk)
    installment = get_object_or_404(
        Installment, pk=installment_pk, company=request.company, customer=payment.customer
    )
    form = WriteOffForm(request.POST, prefix=f"wo{installment.pk}")
    if form.is_valid():
        try:
            loss = write_off(
                installment,
                form.cleaned_data["amount"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"Écart de {format_eur(loss.amount)} passé en pertes sur "
                f"{installment.invoice.number}.",
            )
            return redirect("web:payment_detail", pk=payment.pk)
    return payment_detail(request, pk, write_off_forms={installment.pk: form})


@company_view(needs=ALLOCATE)
@require_POST
def payment_refund(request, pk):
    """Pay back (part of) what the payment still holds unallocated."""
    payment = _payment(request, pk)
    form = RefundForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            money_back = refund(
                payment,
                data["amount"],
                by=request.user,
                method=data["method"],
                reference=data["reference"],
                on=data["date"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, f"Remboursement {money_back.number} de {format_eur(money_back.amount)}."
            )
            return redirect("web:payment_detail", pk=payment.pk)
    return payment_detail(request, pk, refund_form=form)


# ---------------------------------------------------------------- remittance slips


def _unremitted_cheques(company):
    return (
        selectors.payments_as_of(company, timezone.localdate())
        .filter(method=PaymentMethod.CHEQUE, remittance__isnull=True)
        .select_related("customer")
        .order_by("date", "id")
    )


@company_view
def remittance_list(request):
    """Cheques not yet remitted, to select for a new slip, and the slips made."""
    company = request.company
    form = RemittanceForm(
        request.POST or None,
        initial={"date": timezone.localdate(), "bank_account": company.iban},
    )
    chosen = {int(i) for i in request.POST.getlist("payments") if i.isdigit()}
    if request.method == "POST" and form.is_valid():
        try:
            slip = create_remittance_slip(
                company,
                sorted(chosen),
                by=request.user,
                on=form.cleaned_data["date"],
                bank_account=form.cleaned_data["bank_account"].replace(" ", ""),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{slip} créé.")
            return redirect("web:remittance_detail", pk=slip.pk)
    slips = (
        RemittanceSlip.objects.filter(company=company)
        .annotate(total=Sum("payments__amount"))
        .order_by("-date", "-number")
    )
    return render(
        request,
        "encaisse/payments/remittances.html",
        {
            "form": form,
            "cheques": _unremitted_cheques(company),
            "chosen": chosen,
            "page": page_of(request, slips),
            "nav": "payments",
        },
        status=422 if form.errors else 200,
    )


@company_view
def remittance_pdf(request, pk):
    slip = get_object_or_404(RemittanceSlip, pk=pk, company=request.company)
    return pdf_inline(remittance_slip_pdf(slip), remittance_filename(slip))


@company_view
def remittance_detail(request, pk):
    """The printable slip: the cheques and their total, for the bank."""
    slip = get_object_or_404(RemittanceSlip, pk=pk, company=request.company)
    cheques = slip.payments.select_related("customer").order_by("date", "id")
    return render(
        request,
        "encaisse/payments/remittance.html",
        {
            "slip": slip,
            "cheques": cheques,
            "total": sum((c.amount for c in cheques), ZERO),
            "nav": "payments",
        },
    )
