"""Sending invoices and credit notes by email, one from its page or today's in bulk.

This lives in `mailing`, not in `documents`: the documents app produces and archives the
files and knows nothing of mail; sending needs the outbox, the customer's contacts and the
archive, so the dependency goes one way (mailing -> documents), and the documents app
stays usable without mail.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.template.loader import render_to_string

from encaisse import clock
from encaisse.audit import services as audit
from encaisse.companies.models import Company
from encaisse.companies.permissions import ISSUE_INVOICES, require
from encaisse.errors import Conflict, ValidationFailed
from encaisse.money import format_eur
from encaisse.sales.kinds import codes
from encaisse.sales.models import DocumentStatus, Invoice

from .models import OutgoingMail
from .services import parse_addresses, queue_mail


def _billing_contacts(customer) -> list:
    return [c for c in customer.contacts.all() if c.is_billing_contact and c.email]


def default_recipients(customer) -> list[str]:
    """The customer's billing contacts with an address, else the customer's own address."""
    emails = [c.email for c in _billing_contacts(customer)]
    if not emails and customer.email:
        emails = [customer.email]
    return list(dict.fromkeys(emails))


def greeting(customer, default: str = "Bonjour,") -> str:
    """The first line of a mail to the customer: « Bonjour Monsieur Martin, » when it
    goes by default to one billing contact whose civility is known, else `default` (to
    several people, a department or an unknown one, no name is right)."""
    contacts = _billing_contacts(customer)
    if len(contacts) == 1 and contacts[0].civility:
        return contacts[0].greeting
    return default


def recipients(customer, to=None) -> list[str]:
    """The addresses given, checked, or by default the customer's (refused when it has
    none): any mail to a customer (invoice, statement) is addressed this way."""
    if to is None:
        to = default_recipients(customer)
        if not to:
            raise ValidationFailed(
                "no_recipient",
                f"Aucun destinataire : le client {customer.legal_name} n'a ni contact "
                "destinataire des factures avec une adresse e-mail, ni e-mail. "
                "Indiquez une adresse.",
                "to",
            )
    return parse_addresses(to, "to", "Destinataires", required=True)


def _seller_name(invoice: Invoice) -> str:
    seller = invoice.seller or {}
    return seller.get("trade_name") or seller.get("legal_name") or invoice.company.legal_name


def default_message(invoice: Invoice) -> tuple[str, str]:
    """(subject, body) of the mail, in French, from the templates of this app."""
    seller = invoice.seller or {}
    context = {
        "invoice": invoice,
        "greeting": greeting(invoice.customer),
        "kind": invoice.kind_spec,
        "kind_label": invoice.kind_spec.label,
        "seller_name": _seller_name(invoice),
        "seller_email": seller.get("email", ""),
        "seller_phone": seller.get("phone", ""),
        "amount": format_eur(invoice.total_incl_vat),
        "issue_date": invoice.issue_date.strftime("%d/%m/%Y") if invoice.issue_date else "",
        "due_date": invoice.due_date.strftime("%d/%m/%Y") if invoice.due_date else "",
    }
    subject = render_to_string("mailing/invoice_subject.txt", context).strip()
    body = render_to_string("mailing/invoice_body.txt", context).strip()
    return subject, body


def pdf_filename(invoice: Invoice) -> str:
    return f"{invoice.number}.pdf"


def _check_sendable(invoice: Invoice) -> None:
    if invoice.status != DocumentStatus.ISSUED:
        raise Conflict(
            "draft_not_sendable",
            "Un brouillon ne s'envoie pas : émettez d'abord le document.",
        )


def send_invoice(
    invoice: Invoice, *, to=None, cc=None, subject=None, body=None, by
) -> OutgoingMail:
    """Queue the mail of an issued invoice or credit note, its archived PDF attached.

    Recipients default to the customer's billing contacts; subject and body to the
    templates. Logged on the invoice and in the customer's history (the audit trail: the
    project has no separate log of customer interactions yet)."""
    require(by, invoice.company, ISSUE_INVOICES)
    _check_sendable(invoice)
    customer = invoice.customer
    to = recipients(customer, to)
    default_subject, default_body = default_message(invoice)
    subject = default_subject if subject is None else subject
    body = default_body if body is None else body
    with transaction.atomic():
        mail = queue_mail(
            invoice.company,
            to=to,
            cc=cc or (),
            subject=subject,
            body=body,
            attachments=[
                {
                    "filename": pdf_filename(invoice),
                    "content_type": "application/pdf",
                    "document": invoice,
                    "format": "pdf",
                }
            ],
            invoice=invoice,
            customer=customer,
            by=by,
        )
        changes = {"to": ", ".join(mail.to), "subject": mail.subject}
        audit.record("invoice.mail_queued", invoice, by=by, changes=changes)
        audit.record(
            "customer.invoice_mail_queued",
            customer,
            by=by,
            changes={"invoice": invoice.number, **changes},
        )
    return mail


@dataclass
class BulkReport:
    queued: list[OutgoingMail] = field(default_factory=list)
    without_recipient: list[Invoice] = field(default_factory=list)
    already_sent: list[Invoice] = field(default_factory=list)


def issued_today(company: Company, on=None):
    on = on or clock.today()
    return (
        Invoice.objects.filter(
            company=company,
            kind__in=codes(creates_receivable=True),
            status=DocumentStatus.ISSUED,
            issue_date=on,
        )
        .select_related("customer", "company")
        .prefetch_related("customer__contacts")
        .order_by("sequence_number")
    )


def send_issued_today(company: Company, *, by, on=None) -> BulkReport:
    """Queue one mail per invoice issued today (or `on`) that has no mail yet (queued,
    sent or failed: a failed one is retried from the outbox, not doubled). Invoices whose
    customer has no address are skipped and reported."""
    require(by, company, ISSUE_INVOICES)
    report = BulkReport()
    with transaction.atomic():
        invoices = list(issued_today(company, on))
        mailed = set(
            OutgoingMail.objects.filter(invoice__in=invoices).values_list("invoice_id", flat=True)
        )
        for invoice in invoices:
            if invoice.pk in mailed:
                report.already_sent.append(invoice)
            elif not default_recipients(invoice.customer):
                report.without_recipient.append(invoice)
            else:
                report.queued.append(send_invoice(invoice, by=by))
    return report
