"""Sending an invoice: recipients, message, PDF from the archive, history; in bulk."""

import datetime as dt

import pytest
from django.utils import timezone

from encaisse.audit.models import AuditEntry
from encaisse.companies.models import Role
from encaisse.customers.models import Contact
from encaisse.customers.services import add_contact, create_customer, update_customer
from encaisse.errors import Conflict, Forbidden, ValidationFailed
from encaisse.jobs.runner import run_pending_jobs
from encaisse.mailing.invoices import (
    default_message,
    default_recipients,
    send_invoice,
    send_issued_today,
)
from encaisse.mailing.models import MailStatus, OutgoingMail
from encaisse.mailing.services import send_queued

pytestmark = pytest.mark.django_db

NNBSP, NBSP = "\u202f", "\u00a0"
MARCH_2 = dt.date(2026, 3, 2)


def test_recipients_are_the_billing_contacts_with_an_address(customer, admin, billing_contact):
    add_contact(customer, {"name": "Commercial", "email": "achat@dupont.example"}, by=admin)
    add_contact(customer, {"name": "Sans e-mail", "is_billing_contact": True}, by=admin)
    add_contact(
        customer,
        {"name": "Directeur", "email": "dg@dupont.example", "is_billing_contact": True},
        by=admin,
    )
    customer = update_customer(customer, {"email": "contact@dupont.example"}, by=admin)
    # The customer's own address is only the fallback.
    assert sorted(default_recipients(customer)) == ["compta@dupont.example", "dg@dupont.example"]


def test_recipients_fall_back_to_the_customer_address(customer, admin):
    assert default_recipients(customer) == []
    customer = update_customer(customer, {"email": "contact@dupont.example"}, by=admin)
    assert default_recipients(customer) == ["contact@dupont.example"]


def test_send_invoice_queues_the_templated_mail_with_the_archived_pdf(
    invoice_of, admin, billing_contact, archived_pdf, mailoutbox
):
    invoice = invoice_of(20, MARCH_2)  # 20 h × 65.00 HT + 20 % = 1 560,00 TTC
    assert invoice.number == "FA2026-00001"
    mail = send_invoice(invoice, by=admin)
    assert mail.to == ["compta@dupont.example"]
    assert mail.subject == "Facture FA2026-00001 – Atelier Martin SAS"
    # Net 30 days from 2 March 2026: due 1 April 2026.
    assert (
        f"notre facture n° FA2026-00001 du 02/03/2026, d'un montant de 1{NNBSP}560,00{NBSP}€ "
        "TTC, payable au plus tard le 01/04/2026." in mail.body
    )
    assert mail.body.endswith("Atelier Martin SAS")
    assert mail.status == MailStatus.QUEUED
    assert mail.invoice == invoice and mail.customer == invoice.customer
    attachment = mail.attachments.get()
    assert (attachment.filename, attachment.document_id, attachment.document_format) == (
        "FA2026-00001.pdf",
        invoice.pk,
        "pdf",
    )
    assert attachment.content is None  # the archive's bytes, not a copy
    # Queued: logged on the invoice and in the customer's history.
    assert AuditEntry.objects.filter(
        action="invoice.mail_queued", object_type="sales.invoice", object_id=str(invoice.pk)
    ).exists()
    assert AuditEntry.objects.filter(
        action="customer.invoice_mail_queued", object_id=str(invoice.customer_id)
    ).exists()
    assert mailoutbox == [] and archived_pdf == []  # nothing sent yet

    send_queued()
    assert archived_pdf == [(invoice.pk, "pdf")]
    (message,) = mailoutbox
    assert message.to == ["compta@dupont.example"]
    assert [tuple(a) for a in message.attachments] == [
        ("FA2026-00001.pdf", b"%PDF-1.7 FA2026-00001", "application/pdf")
    ]
    sent = AuditEntry.objects.get(
        action="customer.invoice_mailed", object_id=str(invoice.customer_id)
    )
    assert sent.changes["invoice"] == "FA2026-00001"
    assert sent.changes["to"] == "compta@dupont.example"


def test_subject_body_and_recipients_typed_by_the_user(invoice_of, admin, archived_pdf):
    invoice = invoice_of(1, MARCH_2)
    mail = send_invoice(
        invoice,
        to="a@dupont.example, b@dupont.example",
        cc="moi@atelier.example",
        subject="Votre facture de mars",
        body="Bonjour Claire, voici la facture.",
        by=admin,
    )
    assert mail.to == ["a@dupont.example", "b@dupont.example"]
    assert mail.cc == ["moi@atelier.example"]
    assert (mail.subject, mail.body) == (
        "Votre facture de mars",
        "Bonjour Claire, voici la facture.",
    )


def test_a_credit_note_gets_its_own_wording(invoice_of, admin, billing_contact, archived_pdf):
    from encaisse.sales.services import create_credit_note
    from tests.conftest import issue_on_day

    invoice = invoice_of(2, MARCH_2)
    note = create_credit_note(invoice, by=admin, mode="full", reason="Erreur de quantité")
    note = issue_on_day(note, by=admin, on=dt.date(2026, 3, 5))
    mail = send_invoice(note, by=admin)
    assert mail.subject == f"Avoir {note.number} – Atelier Martin SAS"
    assert f"notre avoir n° {note.number} du 05/03/2026" in mail.body
    assert "sur la facture n° FA2026-00001" in mail.body
    assert "payable" not in mail.body


def test_a_draft_is_refused(make_invoice, admin, billing_contact):
    draft = make_invoice()
    with pytest.raises(Conflict) as error:
        send_invoice(draft, by=admin)
    assert error.value.code == "draft_not_sendable"
    assert OutgoingMail.objects.count() == 0


def test_no_recipient_is_refused_on_field_to(invoice_of, admin):
    invoice = invoice_of(1, MARCH_2)  # the customer has no contact and no address
    with pytest.raises(ValidationFailed) as error:
        send_invoice(invoice, by=admin)
    assert error.value.field == "to"
    assert "Boulangerie Dupont SARL" in error.value.message
    with pytest.raises(ValidationFailed) as error:
        send_invoice(invoice, to="  ", by=admin)
    assert error.value.field == "to"
    assert OutgoingMail.objects.count() == 0
    assert not AuditEntry.objects.filter(action="invoice.mail_queued").exists()


def test_roles_that_do_not_issue_cannot_send(invoice_of, company, make_user, billing_contact):
    invoice = invoice_of(1, MARCH_2)
    for role in (Role.READ_ONLY, Role.COLLECTION):
        with pytest.raises(Forbidden):
            send_invoice(invoice, by=make_user(f"u-{role}", company, role))
    assert OutgoingMail.objects.count() == 0


def test_send_issued_today(company, admin, customer, make_invoice, service_product, archived_pdf):
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    add_contact(
        customer,
        {"name": "Compta", "email": "compta@dupont.example", "is_billing_contact": True},
        by=admin,
    )
    silent = create_customer(
        company,
        {
            "legal_name": "Client sans e-mail SAS",
            "siren": "443061841",
            "billing_line1": "1 rue Neuve",
            "billing_postal_code": "69001",
            "billing_city": "Lyon",
        },
        by=admin,
    )
    lines = [{"product": service_product.pk, "quantity": "1"}]
    make_invoice(lines=lines, issue_on=yesterday) if yesterday.year == today.year else None
    first = make_invoice(lines=lines, issue_on=today)
    second = make_invoice(lines=lines, issue_on=today)
    no_address = make_invoice(lines=lines, issue_on=today, cust=silent)
    make_invoice(lines=lines)  # a draft: not issued, not sent
    send_invoice(first, by=admin)  # already sent by hand

    report = send_issued_today(company, by=admin)
    assert [m.invoice_id for m in report.queued] == [second.pk]
    assert report.already_sent == [first]
    assert report.without_recipient == [no_address]
    assert OutgoingMail.objects.count() == 2

    # Again: nothing doubles.
    again = send_issued_today(company, by=admin)
    assert again.queued == []
    assert OutgoingMail.objects.count() == 2


def test_send_issued_today_needs_the_role(company, make_user):
    with pytest.raises(Forbidden):
        send_issued_today(company, by=make_user("lecteur", company, Role.READ_ONLY))


def test_issued_rendered_archived_sent_end_to_end(invoice_of, admin, billing_contact, mailoutbox):
    """The mail of a document queued before its files exist waits for them (deferred, the
    try not counted), then goes with the archived PDF once its render job has run."""
    from encaisse.documents import archive

    invoice = invoice_of(1, MARCH_2)  # issued: its render job queued, not run
    mail = send_invoice(invoice, by=admin)
    report = send_queued()
    assert (report.sent, report.failed, report.deferred) == ([], [], [mail])
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.last_error) == (MailStatus.QUEUED, 0, "")
    assert mail.next_attempt_at > timezone.now() and mailoutbox == []
    assert send_queued().deferred == []  # not due again before ARCHIVE_WAIT

    assert run_pending_jobs() == 1  # the worker: rendered and archived
    stored = archive.read(invoice, "pdf")
    assert send_queued(now=mail.next_attempt_at).sent == [mail]
    (message,) = mailoutbox
    (attachment,) = message.attachments
    assert attachment.filename == "FA2026-00001.pdf"
    assert attachment.mimetype == "application/pdf"
    assert attachment.content == stored and stored.startswith(b"%PDF")
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (MailStatus.SENT, 1)


def test_the_mail_greets_its_one_named_billing_contact(customer, admin, invoice_of):
    invoice = invoice_of(1, MARCH_2)
    # Without a civility: no name in the greeting (it could be a department).
    add_contact(
        customer,
        {"name": "Comptabilité", "email": "compta@dupont.example", "is_billing_contact": True},
        by=admin,
    )
    assert default_message(invoice)[1].startswith("Bonjour,\n")
    Contact.objects.all().delete()
    martin = {"civility": "monsieur", "first_name": "Paul", "last_name": "Martin"}
    add_contact(
        customer,
        {**martin, "email": "p.martin@dupont.example", "is_billing_contact": True},
        by=admin,
    )
    assert default_message(invoice)[1].startswith("Bonjour Monsieur Martin,\n")
    # Two people receive it: no single name.
    add_contact(
        customer,
        {"civility": "madame", "last_name": "Roux", "email": "roux@dupont.example",
         "is_billing_contact": True},
        by=admin,
    )  # fmt: skip
    assert default_message(invoice)[1].startswith("Bonjour,\n")


def test_sending_at_once_waits_for_a_document_not_archived_yet(
    invoice_of, admin, billing_contact, mailoutbox
):
    """« Envoyer les factures du jour » right after issuing: the mail of a document not
    archived yet waits (said in the job's message) and goes with the minute's sending."""
    from encaisse.jobs.models import Job
    from encaisse.mailing.jobs import send_mails

    invoice = invoice_of(1, MARCH_2)
    mail = send_invoice(invoice, by=admin)
    job = Job.objects.create(name="mailing.send_mails", label="Envoi", company=invoice.company)
    message, result = send_mails(job, [mail.pk])  # before the render job has run
    assert message == "0 e-mail(s) envoyé(s), 0 en échec, 1 en attente de leur document."
    assert result["sent"] == 0 and mailoutbox == []
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (MailStatus.QUEUED, 0)
    run_pending_jobs()  # the render job
    assert send_queued(now=mail.next_attempt_at).sent == [mail]
