"""Sending a customer their statement: recipients, message, the PDF as bytes, history."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from encaisse.audit.models import AuditEntry
from encaisse.companies.models import Role
from encaisse.customers.services import create_customer
from encaisse.errors import Forbidden, NotFound, ValidationFailed
from encaisse.mailing.models import MailStatus, OutgoingMail
from encaisse.mailing.services import send_queued
from encaisse.mailing.statements import send_statement

pytestmark = pytest.mark.django_db

NNBSP, NBSP = "\u202f", "\u00a0"
NOV_29 = dt.date(2026, 11, 29)


@pytest.fixture
def open_account(invoice_of, pay):
    """FA2026-00001 of 1 560,00 (20 h × 78,00) issued 1 Oct, due 31 Oct, and a transfer
    of 60,00 not allocated: the balance on 29 Nov is 1 500,00, and the invoice, which
    the transfer does not settle, is overdue for its whole 1 560,00."""
    invoice = invoice_of(20, dt.date(2026, 10, 1))
    pay("60.00", dt.date(2026, 11, 10))
    return invoice


def test_statement_mail_is_queued_with_the_pdf_and_logged(
    customer, admin, billing_contact, open_account, mailoutbox
):
    mail = send_statement(customer, NOV_29, by=admin)
    assert mail.to == ["compta@dupont.example"]
    assert mail.subject == "Relevé de compte au 29/11/2026 – Atelier Martin SAS"
    assert "le relevé de votre compte au 29/11/2026" in mail.body
    assert (
        f"Le solde dû s'élève à 1{NNBSP}500,00{NBSP}€, dont 1{NNBSP}560,00{NBSP}€ échu."
        in mail.body
    )
    assert mail.status == MailStatus.QUEUED
    assert mail.customer == customer and mail.invoice is None
    attachment = mail.attachments.get()
    assert attachment.filename == f"releve-compte-{customer.pk}-2026-11-29.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.document_id is None  # not archived: the bytes are kept with the mail
    text = PdfReader(io.BytesIO(bytes(attachment.content))).pages[0].extract_text()
    assert "Relevé de compte au 29/11/2026" in text and open_account.number in text
    entry = AuditEntry.objects.get(
        action="customer.statement_mail_queued", object_id=str(customer.pk)
    )
    assert entry.changes == {
        "as_of": "2026-11-29",
        "to": "compta@dupont.example",
        "subject": "Relevé de compte au 29/11/2026 – Atelier Martin SAS",
    }

    send_queued()
    (message,) = mailoutbox
    assert message.to == ["compta@dupont.example"]
    ((filename, content, content_type),) = message.attachments
    assert (filename, content_type) == (attachment.filename, "application/pdf")
    assert content == bytes(attachment.content)


def test_typed_recipients_subject_and_body(customer, admin, open_account):
    mail = send_statement(
        customer,
        NOV_29,
        to="a@dupont.example; b@dupont.example",
        subject="Votre compte",
        body="Bonjour Claire, voici le relevé.",
        by=admin,
    )
    assert mail.to == ["a@dupont.example", "b@dupont.example"]
    assert (mail.subject, mail.body) == ("Votre compte", "Bonjour Claire, voici le relevé.")


def test_a_customer_in_credit_is_told_so(customer, admin, billing_contact, pay):
    pay("80.00", dt.date(2026, 11, 10))
    mail = send_statement(customer, NOV_29, by=admin)
    assert f"un solde de 80,00{NBSP}€ en votre faveur" in mail.body
    assert "dû" not in mail.body


def test_no_recipient_is_refused_and_changes_nothing(customer, admin, open_account):
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as error:
        send_statement(customer, NOV_29, by=admin)  # no contact, no customer e-mail
    assert error.value.field == "to" and error.value.code == "no_recipient"
    with pytest.raises(ValidationFailed) as error:
        send_statement(customer, NOV_29, to=" , ", by=admin)
    assert error.value.field == "to"
    assert OutgoingMail.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_collection_may_send_read_only_may_not(customer, company, make_user, billing_contact):
    collector = make_user("relance", company, Role.COLLECTION)
    assert send_statement(customer, NOV_29, by=collector).to == ["compta@dupont.example"]
    with pytest.raises(Forbidden):
        send_statement(customer, NOV_29, by=make_user("lecture", company, Role.READ_ONLY))
    assert OutgoingMail.objects.count() == 1


def test_another_company_user_gets_not_found(customer, other_company, make_user, billing_contact):
    outsider = make_user("autre", other_company, Role.ADMIN)
    with pytest.raises(NotFound):
        send_statement(customer, NOV_29, by=outsider)
    assert OutgoingMail.objects.count() == 0


def test_customer_email_is_the_fallback(company, admin):
    lone = create_customer(
        company,
        {"legal_name": "Épicerie Martin", "kind": "consumer", "email": "epicerie@example.fr"},
        by=admin,
    )
    mail = send_statement(lone, NOV_29, by=admin)
    assert mail.to == ["epicerie@example.fr"]
    assert "Votre compte est soldé à cette date." in mail.body
