"""A customer written in other scripts is invoiced, reminded and sent a statement: what
the input accepts, every document prints (PDF/A-3b, text extracted with pypdf) and the
e-invoice carries (zero fatal error in XSD, EN 16931 and BR-FR)."""

import datetime as dt

import pytest
from freezegun import freeze_time

from encaisse.customers.services import create_customer
from encaisse.documents import einvoice, rendering, validation
from encaisse.documents.reminders import reminder_pdf
from encaisse.documents.statements import statement_pdf
from encaisse.dunning.actions import send_reminder
from encaisse.dunning.models import Reminder, ReminderStatus
from encaisse.dunning.run import run_dunning
from encaisse.errors import ValidationFailed
from encaisse.mailing.models import OutgoingMail
from encaisse.sales.services import create_invoice, issue_invoice

from .test_pdf import pages_text, pdfa_id
from .test_statement_pdf import flat

pytestmark = pytest.mark.django_db

ISSUED = dt.date(2026, 3, 2)  # due 1 April (30 days net)
GREEK = "Ελληνική Αρτοποιία Ωμέγα Α.Ε."
CYRILLIC = "ул. Пушкина, д. 10"
POLISH = "Łódź"
LINE = "Мука пшеничная — Αλεύρι — Mąka żytnia — Œufs frais"
# Printed too, but pypdf reads right-to-left runs in its own order: checked by rendering.
HEBREW_ARABIC = "מאפייה · مخبز"


@pytest.fixture
def buyer(company, admin):
    return create_customer(
        company,
        {
            "legal_name": GREEK,
            "siren": "443061841",  # a French company with a Greek name
            "billing_line1": CYRILLIC,
            "billing_line2": HEBREW_ARABIC,
            "billing_postal_code": "69002",
            "billing_city": f"Lyon ({POLISH})",
            "email": "compta@omega.example",
        },
        by=admin,
    )


@pytest.fixture
def invoice(company, admin, buyer):
    draft = create_invoice(
        company,
        customer=buyer,
        lines=[{"description": LINE, "item_kind": "goods", "quantity": "2", "unit_price": "50"}],
        customer_reference="Заказ № 42",
        notes="Livraison : quai Β\nΕυχαριστούμε !",
        by=admin,
    )
    with freeze_time(ISSUED):
        return issue_invoice(draft, by=admin, on=ISSUED)


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-") and pdfa_id(pdf) == ("3", "B")
    return " ".join(flat(page) for page in pages_text(pdf))


def test_the_invoice_prints_the_names_in_their_scripts(invoice):
    text = text_of(rendering.facturx_pdf(invoice))
    for expected in (GREEK, CYRILLIC, f"Lyon ({POLISH})", LINE, "Заказ № 42", "Ευχαριστούμε"):
        assert expected in text


def test_the_e_invoice_carries_them_and_passes_every_rule(invoice):
    for xml in (einvoice.cii_xml(invoice), einvoice.ubl_xml(invoice)):
        assert GREEK.encode() in xml and LINE.encode() in xml
        report = validation.validate(xml)
        assert report.ok, "\n".join(str(f) for f in report.fatal)


def test_the_statement_and_the_reminder_letter_print_them(company, admin, buyer, invoice):
    statement = text_of(statement_pdf(buyer, dt.date(2026, 4, 20)))
    assert GREEK in statement and CYRILLIC in statement
    # Level 1 is due from the day after the due date (1 April).
    on = dt.date(2026, 4, 10)
    with freeze_time(on):
        run_dunning(company, on)
        reminder = Reminder.objects.get(customer=buyer)
        if reminder.status == ReminderStatus.PROPOSED:  # a level that needs validation
            reminder = send_reminder(reminder, by=admin, on=on, to=["compta@omega.example"])
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT
    # Level 1 goes by e-mail; its letter (the same text, printed) renders too.
    mail = OutgoingMail.objects.get()
    assert mail.to == ["compta@omega.example"] and invoice.number in mail.body
    letter = text_of(reminder_pdf(reminder))
    assert GREEK in letter and CYRILLIC in letter and invoice.number in letter


def test_a_name_no_document_can_print_is_refused_when_typed(company, admin):
    with pytest.raises(ValidationFailed) as refused:
        create_customer(company, {"legal_name": "Café 🥐 Lyon SARL"}, by=admin)
    assert (refused.value.code, refused.value.field) == ("emoji", "legal_name")
