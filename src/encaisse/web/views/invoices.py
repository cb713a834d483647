"""Invoices and credit notes: lists, exports, the draft form with live totals, the
printable detail, issuing, deleting a draft and creating a credit note."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from encaisse.catalog.models import ItemKind, Product, Unit
from encaisse.companies.permissions import (
    ALLOCATE,
    CREDIT_OVERRIDE,
    EDIT_COMPANY,
    EDIT_CUSTOMERS,
    EDIT_INVOICES,
    ISSUE_CREDIT_NOTES,
    ISSUE_INVOICES,
    can,
    require,
)
from encaisse.documents import archive
from encaisse.documents.models import ArchiveFormat
from encaisse.documents.responses import attachment
from encaisse.errors import Conflict, DomainError, ValidationFailed
from encaisse.jobs.models import Job
from encaisse.receivables import selectors as receivables_selectors
from encaisse.receivables.services.installments import installment_states
from encaisse.sales import schedule as schedules
from encaisse.sales import selectors, services
from encaisse.sales.jobs import ISSUE_DRAFTS, start_issuing
from encaisse.sales.models import DocumentKind, Invoice

from .. import audit, lines
from ..exports import Column, export
from ..forms import (
    EXEMPTION_OPTIONS,
    RATE_OPTIONS,
    CreditNoteForm,
    InvoiceFilterForm,
    InvoiceHeaderForm,
)
from ..shortcuts import add_domain_error, company_view, error_targets, page_of
from . import dunning as dunning_views
from . import einvoicing as einvoicing_views
from . import mailing as mailing_views
from . import penalty_claims as penalty_claim_views

# A row's error shows next to its field, once; the top of the form only says where.
SEE_THE_FIELDS = "Le formulaire contient des erreurs : voir les champs en rouge."

# ---------------------------------------------------------------- lists and exports


def _filtered(request, default_kind: str):
    params = request.GET.copy()
    params.setdefault("kind", default_kind)
    form = InvoiceFilterForm(params, company=request.company)
    return form, selectors.invoices(request.company, **form.filters())


def _issuing_job(request):
    """The mass issue started from this list (`?job=`), for its progress bar."""
    pk = request.GET.get("job", "")
    if not pk.isdigit():
        return None
    return Job.objects.filter(pk=pk, company=request.company, name=ISSUE_DRAFTS).first()


@company_view
def invoice_list(request, default_kind=DocumentKind.INVOICE):
    form, documents = _filtered(request, default_kind)
    kind = form.cleaned_data.get("kind") or default_kind
    selectable = default_kind == DocumentKind.INVOICE and can(
        request.user, request.company, ISSUE_INVOICES
    )
    return render(
        request,
        "encaisse/invoices/list.html",
        {
            "selectable": selectable,
            "job": _issuing_job(request),
            "form": form,
            "page": page_of(request, documents),
            "kind": kind,
            "filtered": any(v for k, v in form.cleaned_data.items() if k != "kind"),
            "export_url": reverse(
                "web:credit_note_export"
                if default_kind == DocumentKind.CREDIT_NOTE
                else "web:invoice_export"
            ),
            "nav": "credit_notes" if default_kind == DocumentKind.CREDIT_NOTE else "invoices",
        },
    )


@company_view(needs=ISSUE_INVOICES)
@require_POST
def invoice_issue_selected(request):
    """Issue the drafts ticked in the list, as a job; back to the list with its progress."""
    try:
        job = start_issuing(request.company, request.POST.getlist("invoice"), by=request.user)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("web:invoices")
    return redirect(f"{reverse('web:invoices')}?job={job.pk}")


@company_view
def invoice_export(request, default_kind=DocumentKind.INVOICE):
    _, documents = _filtered(request, default_kind)
    columns = [
        Column("Type", lambda i: i.get_kind_display(), width=10),
        Column("Numéro", lambda i: i.number or f"Brouillon n° {i.pk}", width=18),
        Column(
            "Statut",
            lambda i: capfirst(i.issued_word) if i.is_issued else i.get_status_display(),
            width=10,
        ),
        Column("Client", lambda i: i.customer.legal_name, width=34),
        Column("SIREN client", lambda i: i.customer.siren, width=12),
        Column("Date d'émission", lambda i: i.issue_date, width=12),
        Column("Date d'échéance", lambda i: i.due_date if i.is_issued else None, width=12),
        Column("Total HT", lambda i: i.total_excl_vat, money=True),
        Column("TVA", lambda i: i.total_vat, money=True),
        Column("Total TTC", lambda i: i.total_incl_vat, money=True),
        Column("Réf. commande client", lambda i: i.customer_reference, width=18),
        Column(
            "Facture corrigée",
            lambda i: i.credited_invoice.number if i.credited_invoice_id else "",
            width=18,
        ),
    ]
    name = "avoirs" if default_kind == DocumentKind.CREDIT_NOTE else "factures"
    return export(request, name, name.capitalize(), columns, documents)


# ---------------------------------------------------------------- the draft form


def _line_choices(company) -> dict:
    return {
        "products": Product.objects.filter(company=company, is_active=True).only(
            "pk", "reference", "label"
        ),
        "kinds": ItemKind.choices,
        "units": Unit.choices,
        "rates": RATE_OPTIONS,
        "exemptions": EXEMPTION_OPTIONS,
    }


def _totals(company, rows, previews, shown_errors=None) -> tuple:
    """(totals, error message) of the rows as typed; no totals while there is an error.
    A row's error comes from its preview (`_previews`: numbered as the rows are shown,
    blank ones included). `shown_errors` ({row: {field: message}}, the errors shown next
    to the fields): an error among them is not repeated, the totals only point to it."""
    refused = [p for p in previews.values() if isinstance(p, DomainError)]
    if refused:
        exc = refused[0]
        where = lines.split_error(exc.field)
        if where and where[1] in (shown_errors or {}).get(where[0], {}):
            return None, "Totaux incalculables : corrigez les lignes signalées en rouge."
        # Some line checks (VAT) do not say which line: the preview has no row to put
        # the message next to, so it names it.
        if where and not exc.message.startswith("Ligne"):
            return None, f"Ligne {where[0]} : {exc.message}"
        return None, exc.message
    try:
        return services.preview_totals(company, lines.filled(rows)), None
    except DomainError as exc:
        return None, exc.message


def _previews(company, rows) -> dict:
    """{row number: the line as the save would clean it, or the error refusing it} of
    the rows typed in (blank rows have none)."""
    typed = {i: row for i, row in enumerate(rows, start=1) if lines.is_filled(row)}
    return services.preview_lines(company, typed)


def _numbered(rows, line_errors=None, previews=None) -> list[dict]:
    """The rows as the template shows them: number, values, errors and, for a row that
    makes a valid line, its total net of discount (BT-131)."""
    line_errors = line_errors or {}
    previews = previews or {}
    return [
        {
            "index": i,
            "values": row,
            "errors": line_errors.get(i, {}),
            "total": getattr(previews.get(i), "net_amount", None),
        }
        for i, row in enumerate(rows, start=1)
    ]


def _preview_errors(previews) -> dict:
    """{row: {field: message}} of the rows that make no valid line."""
    errors: dict = {}
    for preview in previews.values():
        if isinstance(preview, DomainError):
            for field, message in error_targets(preview):
                where = lines.split_error(field)
                if where:
                    errors.setdefault(where[0], {}).setdefault(where[1], message)
    return errors


def _editor(
    request,
    *,
    form,
    rows,
    invoice=None,
    line_errors=None,
    schedule=(),
    schedule_errors=None,
    status=200,
):
    """The draft form. After a refused save (`line_errors` given), every row's errors
    are shown next to their fields, not only the one the service stopped at."""
    previews = _previews(request.company, rows)
    if line_errors is not None:
        for index, errors in _preview_errors(previews).items():
            line_errors[index] = {**errors, **line_errors.get(index, {})}
    totals, totals_error = _totals(request.company, rows, previews, line_errors)
    return render(
        request,
        "encaisse/invoices/form.html",
        {
            "form": form,
            "invoice": invoice,
            "rows": _numbered(rows, line_errors, previews),
            "installments": _numbered(schedule, schedule_errors),
            "totals": totals,
            "totals_error": totals_error,
            "nav": "invoices",
            **_line_choices(request.company),
        },
        status=status,
    )


def _save(request, invoice: Invoice | None):
    if request.method != "POST":
        if invoice is None:
            initial = {"customer": request.GET.get("customer", "")}
            rows = [lines.blank_row()]
        else:
            initial = {
                "customer": invoice.customer_id,
                "terms_kind": invoice.terms_kind,
                "terms_days": invoice.terms_days,
                "customer_reference": invoice.customer_reference,
                "delivery_date": invoice.delivery_date,
                "notes": invoice.notes,
            }
            rows = lines.rows_of(invoice) or [lines.blank_row()]
        form = InvoiceHeaderForm(initial=initial, company=request.company)
        schedule = lines.schedule_of(invoice) if invoice else []
        return _editor(request, form=form, rows=rows, invoice=invoice, schedule=schedule)

    form = InvoiceHeaderForm(request.POST, company=request.company)
    rows = lines.filled(lines.rows_from(request.POST))
    schedule = lines.schedule_filled(lines.schedule_from(request.POST))
    line_errors: dict = {}
    schedule_errors: dict = {}
    if form.is_valid():
        header = {k: v for k, v in form.cleaned_data.items() if k != "customer"}
        try:
            if invoice is None:
                invoice = services.create_invoice(
                    request.company,
                    customer=form.cleaned_data["customer"],
                    lines=rows,
                    schedule=schedule,
                    by=request.user,
                    **header,
                )
            else:
                invoice = services.update_invoice(
                    invoice,
                    {**header, "customer": form.cleaned_data["customer"]},
                    by=request.user,
                    lines=rows,
                    schedule=schedule,
                )
        except DomainError as exc:
            for field, message in error_targets(exc):
                where = lines.split_error(field)
                when = lines.split_schedule_error(field)
                if where:
                    line_errors.setdefault(where[0], {})[where[1]] = message
                elif when:
                    schedule_errors.setdefault(when[0], {})[when[1]] = message
                else:
                    add_domain_error(form, exc)
                    break
        else:
            messages.success(request, "Brouillon enregistré.")
            return redirect("web:invoice_detail", pk=invoice.pk)
        if (line_errors or schedule_errors) and not form.errors:
            form.add_error(None, SEE_THE_FIELDS)
    return _editor(
        request,
        form=form,
        rows=rows or [lines.blank_row()],
        invoice=invoice,
        line_errors=line_errors,
        schedule=schedule,
        schedule_errors=schedule_errors,
        status=422,
    )


@company_view(needs=EDIT_INVOICES)
def invoice_create(request):
    return _save(request, None)


@company_view(needs=EDIT_INVOICES)
def invoice_edit(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk, company=request.company, kind=DocumentKind.INVOICE)
    if invoice.is_issued:
        messages.error(request, "Une facture émise ne peut plus être modifiée : faites un avoir.")
        return redirect("web:invoice_detail", pk=pk)
    return _save(request, invoice)


@company_view(needs=EDIT_INVOICES)
@require_POST
def invoice_lines(request):
    """htmx: add a row, remove one, or fill one from the catalog; re-render the rows."""
    rows = lines.rows_from(request.POST)
    action = request.POST.get("action", "")
    name, _, index = action.partition("-")
    position = int(index) - 1 if index.isdigit() else -1
    if name == "add":
        rows.append(lines.blank_row())
    elif name == "remove" and 0 <= position < len(rows):
        rows.pop(position)
    elif name == "product" and 0 <= position < len(rows):
        rows[position] = lines.fill_from_product(rows[position], request.company)
    rows = rows or [lines.blank_row()]
    previews = _previews(request.company, rows)
    totals, totals_error = _totals(request.company, rows, previews)
    return render(
        request,
        "encaisse/invoices/_lines.html",
        {
            "rows": _numbered(rows, previews=previews),
            "totals": totals,
            "totals_error": totals_error,
            "oob": True,
            **_line_choices(request.company),
        },
    )


@company_view(needs=EDIT_INVOICES)
@require_POST
def invoice_schedule(request):
    """htmx: add an installment (two when there is none: a schedule has at least two) or
    remove one; re-render the schedule's rows."""
    rows = lines.schedule_from(request.POST)
    action = request.POST.get("action", "")
    name, _, index = action.partition("-")
    position = int(index) - 1 if index.isdigit() else -1
    if name == "add":
        rows.extend(lines.blank_installment() for _ in range(1 if rows else 2))
    elif name == "remove" and 0 <= position < len(rows):
        rows.pop(position)
    return render(request, "encaisse/invoices/_schedule.html", {"installments": _numbered(rows)})


@company_view(needs=EDIT_INVOICES)
@require_POST
def invoice_totals(request):
    """htmx: the totals of the lines as typed, or the service's message about them, and
    each line's total (swapped out of band into its row)."""
    rows = lines.rows_from(request.POST)
    previews = _previews(request.company, rows)
    totals, totals_error = _totals(request.company, rows, previews)
    return render(
        request,
        "encaisse/invoices/_totals.html",
        {
            "totals": totals,
            "totals_error": totals_error,
            "line_totals": _numbered(rows, previews=previews),
        },
    )


# ---------------------------------------------------------------- detail and actions


def issue_right(invoice: Invoice) -> str:
    """The right that issuing this document needs (as `services.issue_invoice`)."""
    return ISSUE_CREDIT_NOTES if invoice.is_credit_note else ISSUE_INVOICES


def _actions(request, invoice: Invoice) -> dict:
    """What the user may do with this document now: role and status together."""
    user, company = request.user, request.company
    draft = not invoice.is_issued
    issue_action = issue_right(invoice)
    creditable = None
    if invoice.is_issued and not invoice.is_credit_note:
        creditable = services.creditable(invoice).incl_vat
    return {
        "can_edit": draft and not invoice.is_credit_note and can(user, company, EDIT_INVOICES),
        "can_delete": draft and can(user, company, EDIT_INVOICES),
        "can_issue": draft and can(user, company, issue_action),
        "can_credit": bool(creditable and creditable > 0)
        and can(user, company, ISSUE_CREDIT_NOTES),
        "creditable_incl_vat": creditable,
        "can_allocate": can(user, company, ALLOCATE),
    }


def _schedule(invoice: Invoice) -> dict:
    """The installments shown on the detail page: an issued invoice's with their status
    today (derived from the allocations), or a draft's as if it were issued today."""
    today = timezone.localdate()
    if invoice.is_issued:
        if invoice.is_credit_note:
            return {}
        installments = installment_states(invoice, today)
        context = {"installments": installments}
        if any(i.open_amount > 0 for i in installments):
            # Money the customer sent before this invoice (on account) or not yet
            # allocated: offered here, each leading to its lettrage screen.
            context["open_credits"] = list(
                receivables_selectors.payments_as_of(invoice.company, today, invoice.customer)
                .filter(unallocated__gt=0)
                .order_by("date", "id")
            )
        return context
    try:
        planned = schedules.resolve(
            invoice.schedule or [], invoice.total_incl_vat, today, invoice.terms_kind
        )
    except DomainError as exc:  # e.g. a fixed date now past: say why it cannot be issued
        return {"schedule_error": exc.message}
    return {"planned": planned}


@company_view
def invoice_detail(request, pk):
    invoice = get_object_or_404(
        Invoice.objects.select_related("customer", "company", "credited_invoice", "issued_by"),
        pk=pk,
        company=request.company,
    )
    return render(
        request,
        "encaisse/invoices/detail.html",
        {
            "invoice": invoice,
            "doc": selectors.printable(invoice),
            "lines": invoice.lines.all(),
            "allowances": invoice.allowances.all(),
            "totals": selectors.document_totals(invoice),
            "credit_notes": invoice.credit_notes.order_by("id"),
            "trail": audit.entries(invoice),
            "today": timezone.localdate(),
            **_schedule(invoice),
            **penalty_claim_views.invoice_context(request, invoice),
            **mailing_views.invoice_context(request, invoice),
            **einvoicing_views.invoice_context(request, invoice),
            **dunning_views.invoice_context(request, invoice),
            "nav": "credit_notes" if invoice.is_credit_note else "invoices",
            **_files(invoice),
            **_actions(request, invoice),
        },
    )


DOWNLOADS = [
    (ArchiveFormat.PDF, "PDF"),
    (ArchiveFormat.CII, "Factur-X (XML)"),
    (ArchiveFormat.UBL, "UBL"),
]


def _files(invoice: Invoice) -> dict:
    return {
        "downloads": DOWNLOADS,
        "archived": invoice.is_issued and archive.is_archived(invoice),
    }


@company_view
def invoice_files(request, pk):
    """htmx: the issued document's downloads, or « en cours de génération » (polled)."""
    invoice = get_object_or_404(Invoice, pk=pk, company=request.company)
    return render(request, "encaisse/invoices/_files.html", {"invoice": invoice, **_files(invoice)})


@company_view
def invoice_document(request, pk, format):
    """The archived file of an issued document (PDF, CII or UBL), byte for byte."""
    invoice = get_object_or_404(Invoice, pk=pk, company=request.company)
    try:
        return attachment(archive.fetch(invoice, format))
    except Conflict as exc:  # a draft, a document not archived yet (document_not_ready),
        # or a stored file that no longer matches its hash
        notify = messages.info if exc.code == "document_not_ready" else messages.error
        notify(request, exc.message)
        return redirect("web:invoice_detail", pk=invoice.pk)


def _fix_links(request, invoice: Invoice) -> dict:
    """Where to fix each kind of missing mention, when the user may."""
    links = {}
    if can(request.user, request.company, EDIT_COMPANY):
        links["company"] = reverse("web:company_settings")
    if can(request.user, request.company, EDIT_CUSTOMERS):
        links["customer"] = reverse("web:customer_edit", args=[invoice.customer_id])
    if not invoice.is_credit_note and can(request.user, request.company, EDIT_INVOICES):
        links["lines"] = reverse("web:invoice_edit", args=[invoice.pk])
    return links


@company_view
def invoice_issue(request, pk):
    """GET: the confirmation step; POST: issue. An issued document is final."""
    invoice = get_object_or_404(Invoice, pk=pk, company=request.company)
    # Before the confirmation page: it is only the button that issues.
    require(request.user, request.company, issue_right(invoice))
    errors = []
    over_limit = False
    reason = request.POST.get("override_reason", "")
    if request.method == "POST":
        try:
            invoice = services.issue_invoice(invoice, by=request.user, override_reason=reason)
        except DomainError as exc:
            if exc.status == 403:
                raise
            # Over the credit limit: the page offers the override to those who may.
            over_limit = exc.code == "credit_limit_exceeded"
            errors = [
                {"message": message, "area": (field or "").split(".")[0]}
                for field, message in error_targets(exc)
            ]
            if exc.details:
                errors.insert(0, {"message": exc.message, "area": ""})
        else:
            messages.success(
                request, f"{invoice} {invoice.issued_word} le {invoice.issue_date:%d/%m/%Y}."
            )
            return redirect("web:invoice_detail", pk=invoice.pk)
    return render(
        request,
        "encaisse/invoices/issue.html",
        {
            "invoice": invoice,
            "errors": errors,
            "over_limit": over_limit,
            "can_override": can(request.user, request.company, CREDIT_OVERRIDE),
            "override_reason": reason,
            "fix_links": _fix_links(request, invoice),
            "nav": "credit_notes" if invoice.is_credit_note else "invoices",
        },
        status=422 if errors else 200,
    )


@company_view(needs=EDIT_INVOICES)
def invoice_delete(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk, company=request.company)
    if request.method == "POST":
        kind = invoice.kind
        try:
            services.delete_draft(invoice, by=request.user)
        except DomainError as exc:
            if exc.status == 403:
                raise
            messages.error(request, exc.message)
            return redirect("web:invoice_detail", pk=pk)
        messages.success(request, "Brouillon supprimé.")
        return redirect("web:credit_notes" if kind == DocumentKind.CREDIT_NOTE else "web:invoices")
    return render(request, "encaisse/invoices/delete.html", {"invoice": invoice, "nav": "invoices"})


@company_view(needs=ISSUE_CREDIT_NOTES)
def credit_note_create(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk, company=request.company, kind=DocumentKind.INVOICE)
    originals = list(invoice.lines.all())
    remaining = services.creditable(invoice) if invoice.is_issued else None
    rates = sorted({line.vat_rate for line in originals}, reverse=True)
    form = CreditNoteForm(request.POST or None, rates=rates)
    quantities = {line.pk: request.POST.get(f"qty-{line.pk}", "").strip() for line in originals}
    line_errors: dict = {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        wanted = [{"line": pk_, "quantity": q} for pk_, q in quantities.items() if q]
        try:
            note = services.create_credit_note(
                invoice,
                by=request.user,
                mode=data["mode"],
                lines=wanted,
                amount=data["amount"],
                vat_rate=data["vat_rate"],
                reason=data["reason"],
            )
        except DomainError as exc:
            where = lines.split_error(exc.field)
            if where and where[0] <= len(wanted):
                line_errors[wanted[where[0] - 1]["line"]] = exc.message
                form.add_error(None, SEE_THE_FIELDS)
            else:
                add_domain_error(form, exc)
        else:
            messages.success(request, "Avoir préparé (brouillon). Vérifiez-le puis émettez-le.")
            return redirect("web:invoice_detail", pk=note.pk)
    rows = [
        {
            "line": line,
            "remaining": remaining.quantity_by_line.get(line.pk) if remaining else None,
            "quantity": quantities.get(line.pk, ""),
            "error": line_errors.get(line.pk),
        }
        for line in originals
    ]
    return render(
        request,
        "encaisse/invoices/credit_note_form.html",
        {
            "invoice": invoice,
            "form": form,
            "rows": rows,
            "remaining": remaining,
            "nav": "invoices",
        },
        status=422 if form.errors else 200,
    )
