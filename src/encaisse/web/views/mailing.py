"""Sending documents by email: the send form of one document, today's invoices in bulk,
and the outbox ("Envoi") with the failures' reasons and a retry button."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from encaisse.companies.permissions import ISSUE_INVOICES, SEND_STATEMENTS, can
from encaisse.customers.models import Customer
from encaisse.documents.statements import statement_filename
from encaisse.errors import DomainError
from encaisse.mailing import invoices as sending
from encaisse.mailing.jobs import send_now
from encaisse.mailing.models import MailStatus, OutgoingMail
from encaisse.mailing.services import outbox, retry_mail
from encaisse.mailing.statements import default_statement_message, send_statement
from encaisse.sales.models import Invoice

from ..forms import RECIPIENTS_MAX, text
from ..shortcuts import add_domain_error, company_view, page_of
from .jobs import started_job
from .reports import AsOfForm


class SendForm(forms.Form):
    to = text(
        "Destinataires",
        max_length=RECIPIENTS_MAX,
        required=True,
        help_text="Plusieurs adresses séparées par des virgules.",
    )
    cc = text("Copie à", max_length=RECIPIENTS_MAX)
    subject = text("Objet", of=OutgoingMail.subject, required=True)
    body = text("Message", of=OutgoingMail.body, required=True, rows=12)


def queue_from(form: SendForm, send):
    """The mail queued by `send(to=, cc=, subject=, body=)` from a valid form, or None
    with the form invalid or carrying the service's refusal."""
    if not form.is_valid():
        return None
    try:
        return send(**form.cleaned_data)
    except DomainError as exc:
        add_domain_error(form, exc)
        return None


def invoice_context(request, invoice: Invoice) -> dict:
    """What the invoice page shows of its mails: the send button and the mails sent."""
    return {
        "can_send": invoice.is_issued and can(request.user, request.company, ISSUE_INVOICES),
        "mails": list(invoice.mails.order_by("-created_at", "-id")[:20]),
    }


@company_view(needs=ISSUE_INVOICES)
def invoice_send(request, pk):
    """GET: the form, prefilled; POST: queue the mail (sent by `encaisse send-mail`)."""
    invoice = get_object_or_404(
        Invoice.objects.select_related("customer", "company"), pk=pk, company=request.company
    )
    if not invoice.is_issued:
        messages.error(request, "Un brouillon ne s'envoie pas : émettez d'abord le document.")
        return redirect("web:invoice_detail", pk=pk)
    if request.method == "POST":
        form = SendForm(request.POST)
        mail = queue_from(
            form, lambda **mail: sending.send_invoice(invoice, **mail, by=request.user)
        )
        if mail is not None:
            messages.success(
                request,
                f"{invoice} mis(e) en file d'envoi pour {', '.join(mail.to)} : "
                "l'e-mail part au prochain passage de l'envoi.",
            )
            return redirect("web:invoice_detail", pk=pk)
    else:
        subject, body = sending.default_message(invoice)
        form = SendForm(
            initial={
                "to": ", ".join(sending.default_recipients(invoice.customer)),
                "subject": subject,
                "body": body,
            }
        )
    return render(
        request,
        "encaisse/mailing/send.html",
        {
            "invoice": invoice,
            "form": form,
            "attachment": sending.pdf_filename(invoice),
            "nav": "credit_notes" if invoice.is_credit_note else "invoices",
        },
        status=422 if form.errors else 200,
    )


@company_view(needs=SEND_STATEMENTS)
def statement_send(request, pk):
    """GET: the form, prefilled for the date the account page shows; POST: queue it."""
    customer = get_object_or_404(
        Customer.objects.select_related("company"), pk=pk, company=request.company
    )
    # The date travels in the query string, GET and POST alike (the form's action keeps it).
    as_of = AsOfForm(request.GET).as_of_date()
    as_of_query = f"?as_of={as_of.isoformat()}"
    if request.method == "POST":
        form = SendForm(request.POST)
        mail = queue_from(
            form, lambda **mail: send_statement(customer, as_of, **mail, by=request.user)
        )
        if mail is not None:
            messages.success(
                request,
                f"Relevé au {as_of:%d/%m/%Y} mis en file d'envoi pour "
                f"{', '.join(mail.to)} : l'e-mail part au prochain passage de l'envoi.",
            )
            return redirect(reverse("web:customer_statement", args=[pk]) + as_of_query)
    else:
        subject, body = default_statement_message(customer, as_of)
        form = SendForm(
            initial={
                "to": ", ".join(sending.default_recipients(customer)),
                "subject": subject,
                "body": body,
            }
        )
    return render(
        request,
        "encaisse/mailing/send_statement.html",
        {
            "customer": customer,
            "as_of": as_of,
            "as_of_query": as_of_query,
            "form": form,
            "attachment": statement_filename(customer, as_of),
            "nav": "customers",
        },
        status=422 if form.errors else 200,
    )


@company_view(needs=ISSUE_INVOICES)
def send_today(request):
    """GET: today's invoices and who would get them; POST: queue them."""
    if request.method == "POST":
        # The mails and the job that sends them at once, in one transaction.
        with transaction.atomic():
            report = sending.send_issued_today(request.company, by=request.user)
            job = None
            if report.queued:
                job = send_now(
                    request.company,
                    report.queued,
                    by=request.user,
                    label=f"Envoi des factures du {timezone.localdate():%d/%m/%Y}",
                )
        parts = [f"{len(report.queued)} facture(s) mise(s) en file d'envoi"]
        if report.already_sent:
            parts.append(f"{len(report.already_sent)} déjà envoyée(s)")
        if report.without_recipient:
            numbers = ", ".join(i.number for i in report.without_recipient)
            parts.append(f"{len(report.without_recipient)} sans destinataire ({numbers})")
        messages.success(request, " ; ".join(parts) + ".")
        outbox_url = reverse("web:outbox")
        return redirect(f"{outbox_url}?job={job.pk}" if job else outbox_url)
    invoices = list(sending.issued_today(request.company))
    mailed = set(
        OutgoingMail.objects.filter(invoice__in=invoices).values_list("invoice_id", flat=True)
    )
    rows = [
        {
            "invoice": i,
            "to": sending.default_recipients(i.customer),
            "already": i.pk in mailed,
        }
        for i in invoices
    ]
    return render(
        request,
        "encaisse/mailing/today.html",
        {
            "rows": rows,
            "to_send": sum(1 for r in rows if r["to"] and not r["already"]),
            "today": timezone.localdate(),
            "nav": "invoices",
        },
    )


@company_view
def outbox_list(request):
    status = request.GET.get("status", "")
    if status not in MailStatus.values:
        status = ""
    mails = outbox(request.company, status)
    return render(
        request,
        "encaisse/mailing/outbox.html",
        {
            "job": started_job(request),
            "page": page_of(request, mails),
            "status": status,
            "statuses": MailStatus.choices,
            "nav": "outbox",
        },
    )


@company_view(needs=ISSUE_INVOICES)
@require_POST
def outbox_retry(request, pk):
    mail = get_object_or_404(OutgoingMail, pk=pk, company=request.company)
    try:
        retry_mail(mail, by=request.user)
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, "E-mail remis en file d'envoi.")
    return redirect("web:outbox")
