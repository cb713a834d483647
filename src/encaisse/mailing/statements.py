"""Sending a customer their statement (relevé de compte) by email.

Same path as an invoice (`invoices.send_invoice`): recipients from the billing contacts,
a templated subject and body, the mail through the outbox, a line in the customer's
history. The difference is the attachment: a statement is not archived, so its PDF is
rendered now and stored with the mail as bytes, and what is sent is the account as it
stood when the mail was asked for, whatever is recorded in between.
"""

import datetime as dt

from django.db import transaction
from django.template.loader import render_to_string

from encaisse.audit import services as audit
from encaisse.companies.permissions import SEND_STATEMENTS, require
from encaisse.documents.rendering import format_date
from encaisse.documents.statements import statement_filename, statement_pdf
from encaisse.money import format_eur
from encaisse.reporting.statement import statement

from .invoices import greeting, recipients
from .models import OutgoingMail
from .services import queue_mail


def default_statement_message(customer, as_of: dt.date) -> tuple[str, str]:
    """(subject, body) of the mail, in French, from the templates of this app."""
    company = customer.company
    account = statement(customer, as_of)
    context = {
        "greeting": greeting(customer),
        "as_of": format_date(as_of),
        "seller_name": company.trade_name or company.legal_name,
        "seller_email": company.email,
        "seller_phone": company.phone,
        "balance_due": account.balance > 0,
        "balance_credit": account.balance < 0,
        "balance": format_eur(abs(account.balance)),
        "overdue": format_eur(account.overdue) if account.overdue > 0 else "",
    }
    subject = render_to_string("mailing/statement_subject.txt", context).strip()
    body = render_to_string("mailing/statement_body.txt", context).strip()
    return subject, body


def send_statement(
    customer, as_of: dt.date, *, to=None, cc=None, subject=None, body=None, by
) -> OutgoingMail:
    """Queue the mail of `customer`'s statement on `as_of`, its PDF attached.

    Recipients default to the customer's billing contacts; subject and body to the
    templates. Refused, changing nothing, when there is no recipient (ValidationFailed
    on "to")."""
    require(by, customer.company, SEND_STATEMENTS)
    to = recipients(customer, to)
    if subject is None or body is None:
        default_subject, default_body = default_statement_message(customer, as_of)
        subject = default_subject if subject is None else subject
        body = default_body if body is None else body
    # Rendered before the transaction: a few dozen ms that need no lock.
    pdf = statement_pdf(customer, as_of)
    with transaction.atomic():
        mail = queue_mail(
            customer.company,
            to=to,
            cc=cc or (),
            subject=subject,
            body=body,
            attachments=[
                {
                    "filename": statement_filename(customer, as_of),
                    "content_type": "application/pdf",
                    "content": pdf,
                }
            ],
            customer=customer,
            by=by,
        )
        audit.record(
            "customer.statement_mail_queued",
            customer,
            by=by,
            changes={
                "as_of": as_of.isoformat(),
                "to": ", ".join(mail.to),
                "subject": mail.subject,
            },
        )
    return mail
